"""Articles to render through the replica templates (text written for these tests)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

VN = timezone(timedelta(hours=7))

VIETNAMESE: dict[str, Any] = {
    "title": "Bộ Khoa học và Công nghệ công bố mô hình ngôn ngữ lớn tiếng Việt mã nguồn mở",
    "summary": (
        "Mô hình có 8 tỷ tham số, được huấn luyện trên dữ liệu công khai và phát hành "
        "theo giấy phép Apache 2.0 để doanh nghiệp, viện nghiên cứu tự do sử dụng."
    ),
    "paragraphs": [
        "Sáng 7/3, tại Hà Nội, Bộ Khoa học và Công nghệ giới thiệu mô hình ngôn ngữ lớn "
        "tiếng Việt đầu tiên do các viện nghiên cứu trong nước cùng phát triển và công bố "
        "toàn bộ trọng số trên nền tảng Hugging Face.",
        "Theo đại diện Bộ, việc mở mã nguồn giúp các doanh nghiệp nhỏ không phải tự huấn "
        "luyện mô hình từ đầu, tiết kiệm chi phí tính toán và chủ động hơn về dữ liệu.",
        "Nhóm phát triển cho biết bộ dữ liệu huấn luyện gồm văn bản pháp luật, sách giáo "
        "khoa và báo chí đã được cấp phép, với tổng cộng khoảng 300 tỷ từ tiếng Việt.",
        "Trong năm nay, Bộ sẽ tổ chức các cuộc thi ứng dụng mô hình vào dịch vụ công trực "
        "tuyến, y tế và giáo dục, đồng thời công bố bộ tiêu chí đánh giá an toàn.",
    ],
    "authors": ["Minh Sơn", "Thu Hà"],
    "published_at": datetime(2026, 3, 7, 15, 42, tzinfo=VN),
    "language": "vi",
    "section": "Khoa học công nghệ",
    "related": [
        {"title": "Việt Nam ban hành chiến lược trí tuệ nhân tạo mới", "url": "/chien-luoc-ai.htm"},
        {"title": "Dữ liệu mở cho nghiên cứu khoa học", "url": "/du-lieu-mo.htm"},
    ],
    "image_caption": "Đại diện các viện nghiên cứu tại lễ công bố. Ảnh: Minh Sơn",
}

ENGLISH: dict[str, Any] = {
    "title": "Ministry releases open-source Vietnamese large language model",
    "summary": (
        "The eight-billion-parameter model was trained on public data and published "
        "under the Apache 2.0 licence for companies and researchers to use freely."
    ),
    "paragraphs": [
        "The Ministry of Science and Technology on Saturday presented the first Vietnamese "
        "large language model developed jointly by domestic institutes, and published all "
        "of its weights on the Hugging Face platform.",
        "Opening the model means that small companies do not have to train their own from "
        "scratch, which saves computing costs and gives them more control over their data, "
        "a ministry representative said.",
        "The development team said the training data included legal texts, textbooks and "
        "licensed news articles, about 300 billion Vietnamese words in total.",
        "This year the ministry will hold competitions for applications of the model in "
        "online public services, health care and education, and publish safety criteria.",
    ],
    "authors": ["Minh Son"],
    "published_at": datetime(2026, 3, 7, 20, 15, tzinfo=VN),
    "language": "en",
    "section": "Sci-Tech",
    "related": [{"title": "Vietnam adopts new AI strategy", "url": "/vietnam-ai-strategy.vnp"}],
    "image_caption": "Representatives of research institutes at the launch. (Photo: VNA)",
}

FRENCH: dict[str, Any] = {
    "title": "Le Vietnam publie un grand modèle de langue en source ouverte",
    "summary": (
        "Le modèle de huit milliards de paramètres, entraîné sur des données publiques, "
        "est diffusé sous licence Apache 2.0 pour les entreprises et les chercheurs."
    ),
    "paragraphs": [
        "Le ministère des Sciences et des Technologies a présenté samedi le premier grand "
        "modèle de langue vietnamien développé par des instituts du pays, dont tous les "
        "poids sont publiés sur la plateforme Hugging Face.",
        "Selon un représentant du ministère, l'ouverture du modèle évite aux petites "
        "entreprises de l'entraîner elles-mêmes et leur donne plus de maîtrise de leurs "
        "données.",
        "Les données d'entraînement comprennent des textes juridiques, des manuels et des "
        "articles de presse sous licence, soit environ 300 milliards de mots.",
    ],
    "authors": [],
    "published_at": datetime(2026, 3, 8, 9, 5, tzinfo=VN),
    "language": "fr",
    "section": "Science",
    "related": [],
    "image_caption": "",
}
