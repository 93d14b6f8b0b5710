"""Word lists of the synthetic stations: Vietnamese place names, station kinds, rivers, variables."""

import json

# (station types, weight, name label, code prefix) for stations on land and at sea
LAND_KINDS = [
    (("rain_gauge",), 34, "đo mưa", "RG"),
    (("hydrological",), 16, "thủy văn", "TV"),
    (("hydrological", "rain_gauge"), 7, "thủy văn", "TVM"),
    (("climatological",), 8, "khí hậu", "KH"),
    (("synoptic", "climatological"), 8, "khí tượng", "KT"),
    (("synoptic",), 5, "khí tượng synop", "SY"),
    (("agrometeorological",), 6, "khí tượng nông nghiệp", "NN"),
    (("aeronautical",), 3, "khí tượng hàng không", "HK"),
    (("lightning",), 4, "định vị sét", "SET"),
    (("radar",), 1, "ra đa thời tiết", "RD"),
    (("upper_air", "synoptic"), 1, "khí tượng cao không", "CK"),
    (("other",), 7, "quan trắc chuyên dùng", "CD"),
]
SEA_KINDS = [
    (("marine",), 70, "hải văn", "HV"),
    (("marine", "synoptic"), 20, "khí tượng hải văn", "KHV"),
    (("marine", "climatological"), 6, "hải văn khí hậu", "HVK"),
    (("marine", "lightning"), 4, "hải văn và định vị sét", "HVS"),
]

LAND_PLACES = """Hà Giang|Lào Cai|Sa Pa|Mường Tè|Lai Châu|Điện Biên Phủ|Sơn La|Mộc Châu|Yên Bái|Mù Cang Chải
|Tuyên Quang|Bắc Quang|Cao Bằng|Trùng Khánh|Lạng Sơn|Đồng Đăng|Thái Nguyên|Bắc Kạn|Chợ Rã|Phú Thọ
|Việt Trì|Vĩnh Yên|Tam Đảo|Hà Nội|Láng|Sơn Tây|Ba Vì|Hà Đông|Hòa Bình|Mai Châu|Bắc Ninh|Bắc Giang
|Hiệp Hòa|Hải Dương|Chí Linh|Hưng Yên|Phủ Lý|Nam Định|Văn Lý|Ninh Bình|Cúc Phương|Thái Bình|Hải Phòng
|Phù Liễn|Quảng Ninh|Bãi Cháy|Móng Cái|Tiên Yên|Thanh Hóa|Bái Thượng|Hồi Xuân|Vinh|Tương Dương|Quỳ Châu
|Đô Lương|Hà Tĩnh|Hương Khê|Kỳ Anh|Đồng Hới|Tuyên Hóa|Ba Đồn|Đông Hà|Khe Sanh|Huế|A Lưới|Nam Đông
|Đà Nẵng|Sơn Trà|Hội An|Tam Kỳ|Trà My|Quảng Ngãi|Ba Tơ|Quy Nhơn|An Khê|Hoài Nhơn|Tuy Hòa|Sơn Hòa
|Nha Trang|Cam Ranh|Phan Rang|Phan Thiết|La Gi|Kon Tum|Đắk Tô|Pleiku|Ayun Pa|Buôn Ma Thuột|Ea H'leo
|Gia Nghĩa|Đắk Mil|Đà Lạt|Bảo Lộc|Liên Khương|Đồng Xoài|Phước Long|Tây Ninh|Thủ Dầu Một|Biên Hòa
|Trị An|Vũng Tàu|Tân Sơn Hòa|Nhà Bè|Tân An|Mộc Hóa|Mỹ Tho|Bến Tre|Ba Tri|Trà Vinh|Càng Long|Vĩnh Long
|Cao Lãnh|Tân Châu|Châu Đốc|Long Xuyên|Cần Thơ|Vị Thanh|Sóc Trăng|Bạc Liêu|Cà Mau|Năm Căn|Rạch Giá
|Hà Tiên|Đầm Dơi|Ngọc Hiển|Hòn Gai|Thác Bà|Sông Mã|Quảng Trị|Buôn Đôn|Krông Pắc|Đức Phổ"""
SEA_PLACES = """Bạch Long Vĩ|Cô Tô|Cồn Cỏ|Hòn Ngư|Hòn Dấu|Lý Sơn|Phú Quý|Côn Đảo|Thổ Chu|Phú Quốc
|Hoàng Sa|Song Tử Tây|Trường Sa|Sinh Tồn|Nam Yết|Đá Tây|Huyền Trân|Phúc Tần|Cà Mau ngoài khơi|Vịnh Bắc Bộ
|Vịnh Thái Lan|Cửa Tùng|Cù Lao Chàm|Hòn Khoai|Côn Sơn|Vũng Tàu ngoài khơi|Nhơn Châu|Hòn Tre|Cát Bà|Vân Đồn"""
SUFFIXES = ["", "", "", " 2", " 3", " Bắc", " Nam", " Đông", " Tây", " Thượng", " Hạ", " Trung"]

RIVERS = [
    ("Sông Hồng", "Hồng - Thái Bình"), ("Sông Đà", "Hồng - Thái Bình"), ("Sông Lô", "Hồng - Thái Bình"),
    ("Sông Thao", "Hồng - Thái Bình"), ("Sông Thái Bình", "Hồng - Thái Bình"), ("Sông Cầu", "Hồng - Thái Bình"),
    ("Sông Kỳ Cùng", "Bằng Giang - Kỳ Cùng"), ("Sông Mã", "Mã"), ("Sông Chu", "Mã"), ("Sông Cả", "Cả"),
    ("Sông Gianh", "Gianh"), ("Sông Thạch Hãn", "Quảng Trị"), ("Sông Hương", "Hương"),
    ("Sông Vu Gia", "Vu Gia - Thu Bồn"), ("Sông Thu Bồn", "Vu Gia - Thu Bồn"), ("Sông Trà Khúc", "Trà Khúc"),
    ("Sông Kôn", "Kôn - Hà Thanh"), ("Sông Ba", "Ba"), ("Sông Sê San", "Sê San"), ("Sông Srêpốk", "Srêpốk"),
    ("Sông Đồng Nai", "Đồng Nai"), ("Sông Sài Gòn", "Đồng Nai"), ("Sông Bé", "Đồng Nai"),
    ("Sông Tiền", "Cửu Long"), ("Sông Hậu", "Cửu Long"), ("Sông Vàm Cỏ Đông", "Đồng Nai"),
]  # fmt: skip

OWNERS_SPECIALIZED = ["MAE", "MOC", "MOIT", "EVN", "VN-HN", "VN-DN", "VN-34"]
LEGAL_BASES = ["Decree 38/2016 art. 15", "Decree 48/2020", "Circular 30/2017/TT-BTNMT"]

_VARIABLES = {
    "rain_gauge": [("precipitation", 10)],
    "hydrological": [("water_level", 60), ("discharge", 60)],
    "climatological": [("air_temperature", 60), ("relative_humidity", 60), ("precipitation", 60)],
    "synoptic": [("air_pressure", 180), ("air_temperature", 180), ("wind_speed", 180), ("wind_direction", 180)],
    "agrometeorological": [("soil_temperature", 60), ("soil_moisture", 60), ("evaporation", 1440)],
    "aeronautical": [("visibility", 30), ("cloud_base_height", 30), ("wind_speed", 30)],
    "lightning": [("lightning_stroke", 1)],
    "radar": [("radar_reflectivity", 6)],
    "upper_air": [("upper_air_temperature", 720)],
    "marine": [("sea_surface_temperature", 60), ("wave_height", 60), ("sea_level", 10)],
    "other": [("air_temperature", 60)],
}  # fmt: skip


def places(text: str) -> list[str]:
    """Return the names of a |-separated list."""
    return [p.strip() for p in text.replace("\n", "").split("|") if p.strip()]


def variables_json(types: tuple[str, ...]) -> str:
    """Return the JSON array of the variables stations of these types observe."""
    seen: dict[str, int] = {}
    for t in types:
        for name, interval in _VARIABLES[t]:
            seen.setdefault(name, interval)
    return json.dumps([{"name": n, "interval_min": i} for n, i in seen.items()], ensure_ascii=False)
