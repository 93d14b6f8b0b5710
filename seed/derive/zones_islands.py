"""Island zones: the Hoang Sa and Truong Sa archipelagos and the coastal islands, as generous buffers."""

from shapely.geometry import MultiPoint, Point
from shapely.geometry.base import BaseGeometry
from shapely.ops import unary_union

from seed.derive.zones_common import Zone, buffer_km, finish, land, read_geometry

ISLANDS_FILE = "vn_islands_geoboundaries.geojson"
HOANG_SA_TAG = "Hoang Sa (Paracel Islands)"
TRUONG_SA_TAG = "Truong Sa (Spratly Islands)"

# Published positions (lon, lat) of the main features, rounded to 0.01°, as the Wikipedia / GeoNames
# entries give them (good to a few km; the buffer absorbs that). They fix what the source polygons get
# wrong: those are schematic (15-50 km off) and lack Truong Sa Lon. Features held by other claimants are
# listed too: the zone follows the archipelago as Viet Nam defines it, not current occupation.
HOANG_SA_FEATURES: dict[str, tuple[float, float]] = {
    "Đảo Hoàng Sa": (111.60, 16.54),
    "Đảo Hữu Nhật": (111.58, 16.50),
    "Đảo Quang Ảnh": (111.48, 16.45),
    "Đảo Quang Hòa": (111.71, 16.45),
    "Đảo Duy Mộng": (111.74, 16.46),
    "Đảo Bạch Quy": (111.74, 16.05),
    "Đảo Tri Tôn": (111.20, 15.78),
    "Đảo Phú Lâm": (112.34, 16.83),
    "Đảo Cây": (112.27, 16.98),
    "Đảo Linh Côn": (112.73, 16.67),
    "Đá Bắc": (111.49, 17.08),
    "Đá Bông Bay": (112.53, 16.04),
}
TRUONG_SA_FEATURES: dict[str, tuple[float, float]] = {
    "Đảo Trường Sa": (111.92, 8.64),
    "Đá Lát": (111.67, 8.67),
    "Đá Tây": (112.21, 8.85),
    "Đảo Trường Sa Đông": (112.35, 8.93),
    "Đá Châu Viên": (112.84, 8.86),
    "Đá Chữ Thập": (112.89, 9.55),
    "Đảo An Bang": (112.92, 7.89),
    "Đá Thuyền Chài": (113.30, 8.16),
    "Đảo Phan Vinh": (113.68, 8.95),
    "Đá Hoa Lau": (113.84, 7.37),
    "Đảo Sinh Tồn": (114.33, 9.88),
    "Đảo Sinh Tồn Đông": (114.57, 9.90),
    "Đảo Nam Yết": (114.36, 10.18),
    "Đảo Sơn Ca": (114.48, 10.38),
    "Đảo Ba Bình": (114.36, 10.38),
    "Đảo Loại Ta": (114.41, 10.68),
    "Đảo Thị Tứ": (114.28, 11.05),
    "Đảo Song Tử Tây": (114.33, 11.43),
    "Đảo Song Tử Đông": (114.36, 11.45),
    "Đá Vành Khăn": (115.53, 9.90),
    "Bãi Cỏ Mây": (115.87, 9.73),
    "Đá Công Đo": (115.23, 8.37),
    "Đảo Vĩnh Viễn": (115.80, 10.73),
    "Đảo Bình Nguyên": (115.83, 10.82),
}
# Coastal islands that the source misses (Thổ Chu, Hòn Khoai) or places off (Bạch Long Vĩ, about 15 km).
COASTAL_FEATURES: dict[str, tuple[float, float]] = {
    "Đảo Bạch Long Vĩ": (107.72, 20.13),
    "Đảo Cô Tô": (107.77, 20.98),
    "Đảo Cát Bà": (107.05, 20.80),
    "Đảo Cồn Cỏ": (107.34, 17.16),
    "Cù Lao Chàm": (108.52, 15.95),
    "Đảo Lý Sơn": (109.12, 15.38),
    "Đảo Phú Quý": (108.93, 10.52),
    "Côn Đảo (Côn Sơn)": (106.61, 8.69),
    "Đảo Phú Quốc": (103.97, 10.22),
    "Quần đảo Nam Du": (104.35, 9.68),
    "Đảo Thổ Chu": (103.47, 9.30),
    "Hòn Khoai": (104.83, 8.43),
}
SOURCE_ISLANDS = (
    "geoBoundaries VNM ADM1 island polygons (public domain) plus published feature positions "
    "(Wikipedia/GeoNames), buffered; derived by seed/derive/zones_islands.py"
)


def feature_points(features: dict[str, tuple[float, float]]) -> MultiPoint:
    """Return the positions of a feature list as points."""
    return MultiPoint([Point(lon, lat) for lon, lat in features.values()])


def archipelago_area(tag: str, features: dict[str, tuple[float, float]], buffer_km_: float) -> BaseGeometry:
    """Return the source islands tagged `tag` and the published features, buffered by `buffer_km_`."""
    islands = read_geometry(ISLANDS_FILE, lambda p: p["archipelago"] == tag)
    return buffer_km(unary_union([islands, feature_points(features)]), buffer_km_)


def coastal_islands_area(buffer_km_: float) -> BaseGeometry:
    """Return the coastal islands and their published positions buffered by `buffer_km_`, minus the mainland."""
    islands = read_geometry(ISLANDS_FILE, lambda p: p["archipelago"] == "")
    mainland: BaseGeometry = max(getattr(land(), "geoms", [land()]), key=lambda p: p.area)
    return buffer_km(unary_union([islands, feature_points(COASTAL_FEATURES)]), buffer_km_).difference(
        mainland
    )


def island_zones(archipelago_buffer_km: float = 40.0, coastal_buffer_km: float = 15.0) -> list[Zone]:
    """Return the three island zones: Hoàng Sa, Trường Sa and the coastal islands."""
    hoang_sa = archipelago_area(HOANG_SA_TAG, HOANG_SA_FEATURES, archipelago_buffer_km)
    truong_sa = archipelago_area(TRUONG_SA_TAG, TRUONG_SA_FEATURES, archipelago_buffer_km)
    coastal = coastal_islands_area(coastal_buffer_km)
    return [
        Zone("island-hoang-sa", "Quần đảo Hoàng Sa", "island", None, 1.0, SOURCE_ISLANDS, finish(hoang_sa)),
        Zone(
            "island-truong-sa", "Quần đảo Trường Sa", "island", None, 1.0, SOURCE_ISLANDS, finish(truong_sa)
        ),
        Zone("island-coastal", "Các đảo ven bờ", "island", None, 0.9, SOURCE_ISLANDS, finish(coastal)),
    ]
