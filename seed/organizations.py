"""The organizations the seed registers (owners and operators of the seeded stations, and examples)."""

from domain.access.models import OrganizationCreate, OrganizationKind

ORGANIZATIONS = [
    OrganizationCreate(code="NCHMF", name="Trung tâm Dự báo Khí tượng Thủy văn quốc gia (Cục Khí tượng Thủy văn)", kind=OrganizationKind.national_agency),
    OrganizationCreate(code="MAE", name="Bộ Nông nghiệp và Môi trường", kind=OrganizationKind.ministry),
    OrganizationCreate(code="MOC", name="Bộ Xây dựng (giao thông, cảng biển, hàng không)", kind=OrganizationKind.ministry),
    OrganizationCreate(code="MOIT", name="Bộ Công Thương", kind=OrganizationKind.ministry),
    OrganizationCreate(code="EVN", name="Tập đoàn Điện lực Việt Nam", kind=OrganizationKind.enterprise),
    OrganizationCreate(code="VN-HN", name="UBND thành phố Hà Nội", kind=OrganizationKind.province, province="VN-HN"),
    OrganizationCreate(code="VN-DN", name="UBND thành phố Đà Nẵng", kind=OrganizationKind.province, province="VN-DN"),
    OrganizationCreate(code="VN-34", name="UBND tỉnh Khánh Hòa", kind=OrganizationKind.province, province="VN-34"),
    OrganizationCreate(code="WMO-OSCAR", name="WMO OSCAR/Surface (partner system)", kind=OrganizationKind.partner),
    OrganizationCreate(code="IMHEN", name="Viện Khoa học Khí tượng Thủy văn và Biến đổi khí hậu", kind=OrganizationKind.partner),
]  # fmt: skip
