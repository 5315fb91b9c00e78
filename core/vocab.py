"""Vocabularies every domain shares: codes used in the API and the database, with
labels translated where shown. The codes are fixed by the public contract."""

from __future__ import annotations

from enum import StrEnum

from core.i18n import N_, _


class Grade(StrEnum):
    """Training / certificate grade (分级培训)."""

    INDUCTION = "induction"  # 初任
    JUNIOR = "junior"  # 初级
    INTERMEDIATE = "intermediate"  # 中级
    SENIOR = "senior"  # 高级

    @property
    def letter(self) -> str:
        """The grade letter in certificate numbers."""
        return {"induction": "R", "junior": "J", "intermediate": "Z", "senior": "G"}[self.value]

    @property
    def rank(self) -> int:
        return list(Grade).index(self)

    @property
    def label(self) -> str:
        return _(GRADE_LABELS[self])


GRADE_LABELS = {
    Grade.INDUCTION: N_("Induction"),
    Grade.JUNIOR: N_("Junior"),
    Grade.INTERMEDIATE: N_("Intermediate"),
    Grade.SENIOR: N_("Senior"),
}


class DisputeType(StrEnum):
    LABOUR_RELATION = "labour_relation"  # 确认劳动关系
    WAGE_ARREARS = "wage_arrears"  # 追索劳动报酬
    WORKING_HOURS = "working_hours"  # 工作时间
    TERMINATION = "termination"  # 解除和终止劳动合同
    SEVERANCE = "severance"  # 经济补偿
    SOCIAL_INSURANCE = "social_insurance"  # 社会保险
    WORK_INJURY = "work_injury"  # 工伤
    COLLECTIVE = "collective"  # 集体争议
    NEW_EMPLOYMENT_FORMS = "new_employment_forms"  # 新就业形态

    @property
    def label(self) -> str:
        return _(DISPUTE_LABELS[self])


DISPUTE_LABELS = {
    DisputeType.LABOUR_RELATION: N_("Confirming an employment relationship"),
    DisputeType.WAGE_ARREARS: N_("Unpaid wages"),
    DisputeType.WORKING_HOURS: N_("Working hours"),
    DisputeType.TERMINATION: N_("Termination of a labour contract"),
    DisputeType.SEVERANCE: N_("Economic compensation"),
    DisputeType.SOCIAL_INSURANCE: N_("Social insurance"),
    DisputeType.WORK_INJURY: N_("Work injury"),
    DisputeType.COLLECTIVE: N_("Collective dispute"),
    DisputeType.NEW_EMPLOYMENT_FORMS: N_("New forms of employment"),
}


class SourceCategory(StrEnum):
    """Where a mediator comes from (来源类别)."""

    LEGAL_EXPERT = "legal_expert"  # 法学专家
    ARBITRATOR = "arbitrator"  # 仲裁员
    LAWYER = "lawyer"  # 律师
    LABOUR_RELATIONS_COORDINATOR = "labour_relations_coordinator"  # 劳动关系协调员(师)
    RETIRED_JUDGE = "retired_judge"  # 退休法官
    RETIRED_PROSECUTOR = "retired_prosecutor"  # 退休检察官
    UNION_OFFICIAL = "union_official"  # 工会干部
    HR_PROFESSIONAL = "hr_professional"  # 人力资源管理人员
    LAW_STUDENT_INTERN = "law_student_intern"  # 法学专业学生见习
    OTHER = "other"  # 其他

    @property
    def label(self) -> str:
        return _(SOURCE_LABELS[self])


SOURCE_LABELS = {
    SourceCategory.LEGAL_EXPERT: N_("Legal scholar"),
    SourceCategory.ARBITRATOR: N_("Arbitrator"),
    SourceCategory.LAWYER: N_("Lawyer"),
    SourceCategory.LABOUR_RELATIONS_COORDINATOR: N_("Labour-relations coordinator"),
    SourceCategory.RETIRED_JUDGE: N_("Retired judge"),
    SourceCategory.RETIRED_PROSECUTOR: N_("Retired prosecutor"),
    SourceCategory.UNION_OFFICIAL: N_("Union official"),
    SourceCategory.HR_PROFESSIONAL: N_("HR professional"),
    SourceCategory.LAW_STUDENT_INTERN: N_("Law student on internship"),
    SourceCategory.OTHER: N_("Other"),
}


class OrganisationType(StrEnum):
    ENTERPRISE_COMMITTEE = "enterprise_committee"  # 企业劳动争议调解委员会
    TOWNSHIP = "township"  # 乡镇街道调解组织
    ARBITRATION_CENTRE = "arbitration_centre"  # 仲裁院调解中心
    JOINT_CENTRE = "joint_centre"  # 联合调解中心
    UNION = "union"  # 工会
    INDUSTRY_REGIONAL = "industry_regional"  # 行业性/区域性
    CHAMBER_OF_COMMERCE = "chamber_of_commerce"  # 商(协)会
    PEOPLES_COMMITTEE = "peoples_committee"  # 人民调解委员会
    PUBLIC_INSTITUTION = "public_institution"  # 事业单位/社会团体
    PERSONAL_STUDIO = "personal_studio"  # 个人调解工作室

    @property
    def label(self) -> str:
        return _(ORGANISATION_TYPE_LABELS[self])


ORGANISATION_TYPE_LABELS = {
    OrganisationType.ENTERPRISE_COMMITTEE: N_("Enterprise labour-dispute mediation committee"),
    OrganisationType.TOWNSHIP: N_("Township or street mediation organisation"),
    OrganisationType.ARBITRATION_CENTRE: N_("Arbitration-court mediation centre"),
    OrganisationType.JOINT_CENTRE: N_("Joint mediation centre"),
    OrganisationType.UNION: N_("Trade union"),
    OrganisationType.INDUSTRY_REGIONAL: N_("Industry or regional organisation"),
    OrganisationType.CHAMBER_OF_COMMERCE: N_("Chamber of commerce"),
    OrganisationType.PEOPLES_COMMITTEE: N_("People's mediation committee"),
    OrganisationType.PUBLIC_INSTITUTION: N_("Public institution or social group"),
    OrganisationType.PERSONAL_STUDIO: N_("Personal mediation studio"),
}


class MediatorStatus(StrEnum):
    APPLICANT = "applicant"
    APPOINTED = "appointed"  # 在册
    SUSPENDED = "suspended"  # 暂停
    EXITED = "exited"  # 退出

    @property
    def label(self) -> str:
        return _(MEDIATOR_STATUS_LABELS[self])


MEDIATOR_STATUS_LABELS = {
    MediatorStatus.APPLICANT: N_("Applicant"),
    MediatorStatus.APPOINTED: N_("Appointed"),
    MediatorStatus.SUSPENDED: N_("Suspended"),
    MediatorStatus.EXITED: N_("Exited"),
}


class AppraisalGrade(StrEnum):
    EXCELLENT = "excellent"  # 优秀
    COMPETENT = "competent"  # 称职
    BASIC = "basic"  # 基本称职
    INCOMPETENT = "incompetent"  # 不称职

    @property
    def label(self) -> str:
        return _(APPRAISAL_LABELS[self])


APPRAISAL_LABELS = {
    AppraisalGrade.EXCELLENT: N_("Excellent"),
    AppraisalGrade.COMPETENT: N_("Competent"),
    AppraisalGrade.BASIC: N_("Basically competent"),
    AppraisalGrade.INCOMPETENT: N_("Incompetent"),
}


def choices(enum_cls) -> list[tuple[str, str]]:
    """(code, translated label) pairs for a select box."""
    return [(member.value, member.label) for member in enum_cls]
