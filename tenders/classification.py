"""Classification codes a tender or item may use, with English and Vietnamese labels.

CPV 2008 (the EU Common Procurement Vocabulary, also used by ProZorro): every division and the
codes most used by Vietnamese agencies; UNSPSC: its segments. A code outside these lists is
refused rather than published unchecked; extend the lists here as the catalogue grows.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Code:
    scheme: str
    code: str
    en: str
    vi: str

    def label(self, language: str | None) -> str:
        return self.en if language == "en" else self.vi


_CPV = [
    ("03000000-1", "Agricultural, farming, fishing, forestry and related products", "Sản phẩm nông nghiệp, thủy sản, lâm nghiệp và liên quan"),
    ("09000000-3", "Petroleum products, fuel, electricity and other sources of energy", "Sản phẩm dầu mỏ, nhiên liệu, điện và các nguồn năng lượng khác"),
    ("09134100-8", "Diesel oil", "Dầu diesel"),
    ("14000000-1", "Mining, basic metals and related products", "Khai khoáng, kim loại cơ bản và sản phẩm liên quan"),
    ("15000000-8", "Food, beverages, tobacco and related products", "Thực phẩm, đồ uống, thuốc lá và sản phẩm liên quan"),
    ("16000000-5", "Agricultural machinery", "Máy nông nghiệp"),
    ("18000000-9", "Clothing, footwear, luggage articles and accessories", "Quần áo, giày dép, hành lý và phụ kiện"),
    ("19000000-6", "Leather and textile fabrics, plastic and rubber materials", "Da, vải dệt, vật liệu nhựa và cao su"),
    ("22000000-0", "Printed matter and related products", "Ấn phẩm và sản phẩm liên quan"),
    ("24000000-4", "Chemical products", "Sản phẩm hóa chất"),
    ("30000000-9", "Office and computing machinery, equipment and supplies", "Máy móc, thiết bị và vật tư văn phòng, máy tính"),
    ("30200000-1", "Computer equipment and supplies", "Thiết bị và vật tư máy tính"),
    ("30213100-6", "Portable computers", "Máy tính xách tay"),
    ("31000000-6", "Electrical machinery, apparatus, equipment and consumables; lighting", "Máy móc, thiết bị điện và vật tư; chiếu sáng"),
    ("32000000-3", "Radio, television, communication, telecommunication and related equipment", "Thiết bị phát thanh, truyền hình, thông tin, viễn thông"),
    ("33000000-0", "Medical equipments, pharmaceuticals and personal care products", "Thiết bị y tế, dược phẩm và sản phẩm chăm sóc cá nhân"),
    ("33100000-1", "Medical equipments", "Thiết bị y tế"),
    ("33600000-6", "Pharmaceutical products", "Dược phẩm"),
    ("34000000-7", "Transport equipment and auxiliary products to transportation", "Phương tiện vận tải và sản phẩm phụ trợ"),
    ("35000000-4", "Security, fire-fighting, police and defence equipment", "Thiết bị an ninh, phòng cháy chữa cháy, cảnh sát và quốc phòng"),
    ("37000000-8", "Musical instruments, sport goods, games, toys, handicraft and art materials", "Nhạc cụ, dụng cụ thể thao, đồ chơi, thủ công mỹ nghệ"),
    ("38000000-5", "Laboratory, optical and precision equipments", "Thiết bị thí nghiệm, quang học và chính xác"),
    ("39000000-2", "Furniture, furnishings, domestic appliances and cleaning products", "Đồ nội thất, đồ gia dụng và sản phẩm vệ sinh"),
    ("41000000-9", "Collected and purified water", "Nước thu gom và lọc sạch"),
    ("42000000-6", "Industrial machinery", "Máy móc công nghiệp"),
    ("43000000-3", "Machinery for mining, quarrying, construction equipment", "Máy khai khoáng và thiết bị xây dựng"),
    ("44000000-0", "Construction structures and materials; auxiliary products to construction", "Kết cấu và vật liệu xây dựng; sản phẩm phụ trợ xây dựng"),
    ("45000000-7", "Construction work", "Công trình xây dựng"),
    ("45210000-2", "Building construction work", "Thi công xây dựng nhà"),
    ("45221111-3", "Road bridge construction work", "Thi công cầu đường bộ"),
    ("45233120-6", "Road construction works", "Thi công đường bộ"),
    ("48000000-8", "Software package and information systems", "Phần mềm và hệ thống thông tin"),
    ("50000000-5", "Repair and maintenance services", "Dịch vụ sửa chữa và bảo trì"),
    ("51000000-9", "Installation services (except software)", "Dịch vụ lắp đặt (trừ phần mềm)"),
    ("55000000-0", "Hotel, restaurant and retail trade services", "Dịch vụ khách sạn, nhà hàng và bán lẻ"),
    ("60000000-8", "Transport services (excl. waste transport)", "Dịch vụ vận tải (trừ vận chuyển chất thải)"),
    ("63000000-9", "Supporting and auxiliary transport services; travel agencies services", "Dịch vụ hỗ trợ vận tải; dịch vụ đại lý du lịch"),
    ("64000000-6", "Postal and telecommunications services", "Dịch vụ bưu chính và viễn thông"),
    ("65000000-3", "Public utilities", "Dịch vụ tiện ích công cộng"),
    ("66000000-0", "Financial and insurance services", "Dịch vụ tài chính và bảo hiểm"),
    ("70000000-1", "Real estate services", "Dịch vụ bất động sản"),
    ("71000000-8", "Architectural, construction, engineering and inspection services", "Dịch vụ kiến trúc, xây dựng, kỹ thuật và kiểm định"),
    ("72000000-5", "IT services: consulting, software development, Internet and support", "Dịch vụ CNTT: tư vấn, phát triển phần mềm, Internet và hỗ trợ"),
    ("73000000-2", "Research and development services and related consultancy services", "Dịch vụ nghiên cứu, phát triển và tư vấn liên quan"),
    ("75000000-6", "Administration, defence and social security services", "Dịch vụ hành chính, quốc phòng và an sinh xã hội"),
    ("76000000-3", "Services related to the oil and gas industry", "Dịch vụ ngành dầu khí"),
    ("77000000-0", "Agricultural, forestry, horticultural, aquacultural and apicultural services", "Dịch vụ nông nghiệp, lâm nghiệp, làm vườn, thủy sản và nuôi ong"),
    ("79000000-4", "Business services: law, marketing, consulting, recruitment, printing and security", "Dịch vụ kinh doanh: pháp lý, tiếp thị, tư vấn, tuyển dụng, in ấn và bảo vệ"),
    ("80000000-4", "Education and training services", "Dịch vụ giáo dục và đào tạo"),
    ("85000000-9", "Health and social work services", "Dịch vụ y tế và công tác xã hội"),
    ("90000000-7", "Sewage, refuse, cleaning and environmental services", "Dịch vụ thoát nước, rác thải, vệ sinh và môi trường"),
    ("90910000-9", "Cleaning services", "Dịch vụ vệ sinh"),
    ("92000000-1", "Recreational, cultural and sporting services", "Dịch vụ giải trí, văn hóa và thể thao"),
    ("98000000-3", "Other community, social and personal services", "Dịch vụ cộng đồng, xã hội và cá nhân khác"),
]  # fmt: skip

_UNSPSC = [
    ("10000000", "Live plant and animal material and accessories and supplies", "Vật liệu động thực vật sống và phụ kiện"),
    ("15000000", "Fuels and fuel additives and lubricants and anti corrosive materials", "Nhiên liệu, phụ gia, dầu nhờn và vật liệu chống ăn mòn"),
    ("25000000", "Commercial and military and private vehicles and their accessories and components", "Phương tiện thương mại, quân sự, cá nhân và phụ tùng"),
    ("30000000", "Structures and building and construction and manufacturing components and supplies", "Kết cấu, vật tư xây dựng và linh kiện sản xuất"),
    ("42000000", "Medical equipment and accessories and supplies", "Thiết bị, phụ kiện và vật tư y tế"),
    ("43000000", "Information technology broadcasting and telecommunications", "Công nghệ thông tin, phát thanh truyền hình và viễn thông"),
    ("44000000", "Office equipment and accessories and supplies", "Thiết bị, phụ kiện và vật tư văn phòng"),
    ("51000000", "Drugs and pharmaceutical products", "Thuốc và dược phẩm"),
    ("56000000", "Furniture and furnishings", "Đồ nội thất"),
    ("72000000", "Building and facility construction and maintenance services", "Dịch vụ xây dựng và bảo trì công trình"),
    ("80000000", "Management and business professionals and administrative services", "Dịch vụ quản lý, chuyên môn kinh doanh và hành chính"),
    ("81000000", "Engineering and research and technology based services", "Dịch vụ kỹ thuật, nghiên cứu và công nghệ"),
    ("85000000", "Healthcare services", "Dịch vụ chăm sóc sức khỏe"),
    ("86000000", "Education and training services", "Dịch vụ giáo dục và đào tạo"),
]  # fmt: skip

CODES: dict[tuple[str, str], Code] = {
    **{("CPV", c): Code("CPV", c, en, vi) for c, en, vi in _CPV},
    **{("UNSPSC", c): Code("UNSPSC", c, en, vi) for c, en, vi in _UNSPSC},
}


def lookup(scheme: str, code: str) -> Code | None:
    return CODES.get((scheme, code.strip()))
