"""The records the organisation department (组织部门) keeps: organisation profiles, member records,
mobile members, transfers between branches, organisational life (三会一课) and party-affairs talent.

Members are minimised: no ID card number is ever stored; the phone is masked on screen and reading
it in full is audited. A member record is never deleted: a transfer moves it and leaves a row.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.masking import mask_phone
from core.models import Area, PartyOrg, User, mobile_validator


class PartyRole(models.Model):
    """Who keeps party records: the organisation department (the whole city) or an organisation's
    secretary / organiser (that organisation and everything under it). Kept here rather than as core
    roles because only this app's records follow them."""

    class Kind(models.TextChoices):
        ORG_DEPARTMENT = "org_department", _("Organisation department")
        SECRETARY = "secretary", _("Secretary")
        ORGANISER = "organiser", _("Organising committee member")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="party_roles", verbose_name=_("user"))
    kind = models.CharField(_("role"), max_length=20, choices=Kind.choices)
    party_org = models.ForeignKey(
        PartyOrg,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("party organisation"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("party-work role")
        verbose_name_plural = _("party-work roles")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind", "party_org"], name="party_role_unique"),
            # The department is city-wide; secretaries and organisers always have an organisation.
            models.CheckConstraint(
                condition=Q(kind="org_department", party_org__isnull=True)
                | (~Q(kind="org_department") & Q(party_org__isnull=False)),
                name="party_role_scope",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_kind_display()}" + (f" · {self.party_org}" if self.party_org_id else "")


class UnitKind(models.TextChoices):
    VILLAGE = "village", _("Village")
    COMMUNITY = "community", _("Community")
    AGENCY = "agency", _("Government agency")
    INSTITUTION = "institution", _("Public institution")
    STATE_ENTERPRISE = "state_enterprise", _("State-owned enterprise")
    PRIVATE_ENTERPRISE = "private_enterprise", _("Non-public enterprise")
    SOCIAL_ORG = "social_org", _("Social organisation")
    NEW_EMPLOYMENT = "new_employment", _("New employment groups")
    SCHOOL = "school", _("School")
    OTHER = "other", _("Other")


class OrgProfile(models.Model):
    """What the organisation department keeps about one party organisation."""

    org = models.OneToOneField(
        PartyOrg, on_delete=models.CASCADE, related_name="profile", verbose_name=_("organisation")
    )
    unit_kind = models.CharField(_("kind of unit"), max_length=20, choices=UnitKind.choices, default=UnitKind.OTHER)
    unit_name = models.CharField(_("unit"), max_length=100, blank=True)
    founded_on = models.DateField(_("founded on"), null=True, blank=True)
    term_started_on = models.DateField(_("current term started on"), null=True, blank=True)
    term_years = models.PositiveSmallIntegerField(_("term (years)"), default=5)
    address = models.CharField(_("address"), max_length=200, blank=True)
    contact_name = models.CharField(_("contact person"), max_length=50, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("organisation profile")
        verbose_name_plural = _("organisation profiles")

    def __str__(self) -> str:
        return str(self.org)

    @property
    def term_ends_on(self):
        if not self.term_started_on:
            return None
        start = self.term_started_on
        try:
            return start.replace(year=start.year + self.term_years)
        except ValueError:  # 29 February
            return start.replace(year=start.year + self.term_years, day=28)

    @property
    def term_overdue(self) -> bool:
        end = self.term_ends_on
        return bool(end and end < timezone.localdate())


class Gender(models.TextChoices):
    MALE = "m", _("Male")
    FEMALE = "f", _("Female")


class Education(models.TextChoices):
    POSTGRADUATE = "postgraduate", _("Postgraduate")
    BACHELOR = "bachelor", _("Bachelor's degree")
    COLLEGE = "college", _("Junior college")
    SECONDARY = "secondary", _("Senior or technical secondary school")
    JUNIOR = "junior", _("Junior secondary school or below")


class Occupation(models.TextChoices):
    FARMER = "farmer", _("Farmer")
    WORKER = "worker", _("Worker")
    CIVIL_SERVANT = "civil_servant", _("Civil servant")
    PROFESSIONAL = "professional", _("Professional or technical staff")
    MANAGER = "manager", _("Enterprise or institution manager")
    SELF_EMPLOYED = "self_employed", _("Self-employed")
    COURIER = "courier", _("Courier")
    DELIVERY_RIDER = "delivery_rider", _("Delivery rider")
    RIDE_HAILING = "ride_hailing", _("Ride-hailing driver")
    STUDENT = "student", _("Student")
    RETIRED = "retired", _("Retired")
    OTHER = "other", _("Other")


# The new employment groups (新就业群体) the article's riders belong to.
NEW_EMPLOYMENT_OCCUPATIONS = (Occupation.COURIER, Occupation.DELIVERY_RIDER, Occupation.RIDE_HAILING)


class MemberRecord(models.Model):
    """One party member's record. `branch` is the organisation that keeps the record here."""

    class Status(models.TextChoices):
        FULL = "full", _("Full member")
        PROBATIONARY = "probationary", _("Probationary member")

    class State(models.TextChoices):
        ACTIVE = "active", _("Active")
        LEFT = "left", _("Transferred out of the city")
        DECEASED = "deceased", _("Deceased")

    branch = models.ForeignKey(
        PartyOrg, on_delete=models.PROTECT, related_name="member_records", verbose_name=_("branch")
    )
    user = models.OneToOneField(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="party_record", verbose_name=_("account")
    )
    name = models.CharField(_("full name"), max_length=50)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices)
    birth_year = models.PositiveSmallIntegerField(_("year of birth"))
    education = models.CharField(_("education"), max_length=20, choices=Education.choices, blank=True)
    occupation = models.CharField(_("occupation"), max_length=20, choices=Occupation.choices, default=Occupation.OTHER)
    work_unit = models.CharField(_("work unit"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=11, blank=True, validators=[mobile_validator])
    status = models.CharField(_("membership"), max_length=15, choices=Status.choices, default=Status.FULL)
    joined_on = models.DateField(_("joined the party on"))
    full_member_on = models.DateField(_("became a full member on"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.ACTIVE, db_index=True)
    closed_on = models.DateField(
        _("record closed on"), null=True, blank=True, help_text=_("The day of the transfer out of the city or of death")
    )
    is_mobile = models.BooleanField(_("mobile member"), default=False, db_index=True)
    skills = models.CharField(_("skills"), max_length=200, blank=True, help_text=_("Separate with commas"))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("member record")
        verbose_name_plural = _("member records")
        ordering = ["branch__path", "name", "id"]
        indexes = [models.Index(fields=["branch", "state"]), models.Index(fields=["occupation"])]
        constraints = [
            # The key an imported spreadsheet row is matched by (there is no ID number to match on).
            models.UniqueConstraint(fields=["phone"], condition=~Q(phone=""), name="member_record_phone_unique"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    @property
    def is_new_employment(self) -> bool:
        return self.occupation in NEW_EMPLOYMENT_OCCUPATIONS

    @property
    def age(self) -> int:
        return timezone.localdate().year - self.birth_year


class TalentRole(models.TextChoices):
    PARTY_WORKER = "party_worker", _("Party-affairs worker")
    ORGANISER = "organiser", _("Organiser")
    INSTRUCTOR = "instructor", _("Party-building instructor")
    LECTURER = "lecturer", _("Party-course lecturer")
    PROPAGANDA = "propaganda", _("Publicity officer")
    DISCIPLINE = "discipline", _("Discipline inspector")
    VOLUNTEER_LEADER = "volunteer_leader", _("Volunteer team leader")


class TalentEntry(models.Model):
    """A member in the party-affairs talent pool (党务人才) in one role."""

    member = models.ForeignKey(MemberRecord, on_delete=models.CASCADE, related_name="talent", verbose_name=_("member"))
    role = models.CharField(_("talent role"), max_length=20, choices=TalentRole.choices)
    since = models.DateField(_("since"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("party-affairs talent")
        verbose_name_plural = _("party-affairs talent")
        constraints = [models.UniqueConstraint(fields=["member", "role"], name="talent_entry_unique")]

    def __str__(self) -> str:
        return f"{self.member} · {self.get_role_display()}"


class CommitteePost(models.Model):
    """A seat on an organisation's committee (支委会/党委), held by one of the member records."""

    class Post(models.TextChoices):
        SECRETARY = "secretary", _("Secretary")
        DEPUTY = "deputy", _("Deputy secretary")
        ORGANISATION = "organisation", _("Organisation committee member")
        PUBLICITY = "publicity", _("Publicity committee member")
        DISCIPLINE = "discipline", _("Discipline committee member")
        MEMBER = "member", _("Committee member")

    org = models.ForeignKey(
        PartyOrg, on_delete=models.CASCADE, related_name="committee", verbose_name=_("organisation")
    )
    member = models.ForeignKey(MemberRecord, on_delete=models.PROTECT, related_name="posts", verbose_name=_("member"))
    post = models.CharField(_("post"), max_length=20, choices=Post.choices)
    since = models.DateField(_("since"), null=True, blank=True)
    # A post that ends keeps its row (the committee's history); only posts without an end are current.
    until = models.DateField(_("until"), null=True, blank=True)

    class Meta:
        verbose_name = _("committee post")
        verbose_name_plural = _("committee posts")
        ordering = ["org", "post", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["org", "member", "post"], condition=Q(until__isnull=True), name="committee_post_unique"
            ),
            # An organisation has one secretary at a time (deputies and committee members may be several).
            models.UniqueConstraint(
                fields=["org"], condition=Q(post="secretary", until__isnull=True), name="committee_one_secretary"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.org} · {self.get_post_display()} · {self.member}"

    @property
    def is_current(self) -> bool:
        return self.until is None


class MobileInfo(models.Model):
    """A mobile member (流动党员): where the organisation relationship is, where they live and work,
    the branch that cares for them locally, how they are reached."""

    member = models.OneToOneField(
        MemberRecord, on_delete=models.CASCADE, related_name="mobile", verbose_name=_("member")
    )
    registered_with = models.CharField(
        _("organisation relationship held by"),
        max_length=120,
        help_text=_("The party organisation that holds the member's relationship, also outside the city"),
    )
    lives_in = models.CharField(_("lives in"), max_length=120, blank=True)
    works_at = models.CharField(_("works at"), max_length=120, blank=True)
    platform = models.CharField(_("platform or company"), max_length=60, blank=True)
    area = models.ForeignKey(
        Area, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("town/street")
    )
    caring_org = models.ForeignKey(
        PartyOrg, on_delete=models.PROTECT, related_name="cared_members", verbose_name=_("caring branch")
    )
    contact_note = models.CharField(_("how to reach"), max_length=120, blank=True)
    since = models.DateField(_("in the city since"), null=True, blank=True)

    class Meta:
        verbose_name = _("mobile member")
        verbose_name_plural = _("mobile members")

    def __str__(self) -> str:
        return str(self.member)


class MobileRegistration(models.Model):
    """A mobile member (a rider) registering himself from a phone; the caring branch confirms."""

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting for the branch")
        CONFIRMED = "confirmed", _("Confirmed")
        REJECTED = "rejected", _("Returned")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+", verbose_name=_("account"))
    name = models.CharField(_("full name"), max_length=50)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices)
    birth_year = models.PositiveSmallIntegerField(_("year of birth"))
    phone = models.CharField(_("phone"), max_length=11, validators=[mobile_validator])
    status = models.CharField(_("membership"), max_length=15, choices=MemberRecord.Status.choices)
    joined_on = models.DateField(_("joined the party on"))
    occupation = models.CharField(_("occupation"), max_length=20, choices=Occupation.choices)
    platform = models.CharField(_("platform or company"), max_length=60, blank=True)
    registered_with = models.CharField(_("organisation relationship held by"), max_length=120)
    lives_in = models.CharField(_("lives in"), max_length=120)
    works_at = models.CharField(_("works at"), max_length=120, blank=True)
    caring_org = models.ForeignKey(
        PartyOrg, on_delete=models.PROTECT, related_name="+", verbose_name=_("branch to care for you")
    )
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PENDING, db_index=True)
    decided_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    reply = models.CharField(_("reply"), max_length=200, blank=True)
    record = models.ForeignKey(MemberRecord, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("registered at"), auto_now_add=True)

    class Meta:
        verbose_name = _("mobile-member registration")
        verbose_name_plural = _("mobile-member registrations")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user"], condition=Q(state="pending"), name="one_pending_registration")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)


class Transfer(models.Model):
    """A member's organisation relationship moving between branches (组织关系转接). The receiving
    branch accepts; every request stays as history, whatever its outcome."""

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting for the receiving branch")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Returned")
        CANCELLED = "cancelled", _("Withdrawn")

    member = models.ForeignKey(
        MemberRecord, on_delete=models.PROTECT, related_name="transfers", verbose_name=_("member")
    )
    from_org = models.ForeignKey(PartyOrg, on_delete=models.PROTECT, related_name="+", verbose_name=_("from"))
    # None: out of the city (转出市外), to the organisation named in `destination`; the record is closed.
    to_org = models.ForeignKey(
        PartyOrg, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("to")
    )
    destination = models.CharField(_("to (outside the city)"), max_length=120, blank=True)
    reason = models.CharField(_("reason"), max_length=200)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PENDING, db_index=True)
    requested_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    decided_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    reply = models.CharField(_("reply"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("transfer")
        verbose_name_plural = _("transfers")
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["member"], condition=Q(state="pending"), name="one_pending_transfer"),
            models.CheckConstraint(condition=~Q(from_org=models.F("to_org")), name="transfer_between_two_orgs"),
            models.CheckConstraint(
                condition=Q(to_org__isnull=False) | ~Q(destination=""), name="transfer_has_destination"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member}: {self.from_org} → {self.target}"

    @property
    def target(self) -> str:
        return self.to_org.name if self.to_org_id else self.destination

    @property
    def out_of_city(self) -> bool:
        return self.to_org_id is None


class CorrectionRequest(models.Model):
    """A member asking for their own record to be corrected; the branch answers."""

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Corrected")
        DECLINED = "declined", _("Declined")

    member = models.ForeignKey(MemberRecord, on_delete=models.CASCADE, related_name="corrections")
    text = models.TextField(_("what should be corrected"), max_length=1000)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.OPEN)
    created_at = models.DateTimeField(_("asked at"), auto_now_add=True)
    decided_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    reply = models.CharField(_("reply"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("correction request")
        verbose_name_plural = _("correction requests")
        ordering = ["-created_at", "-id"]


class MeetingKind(models.TextChoices):
    GENERAL_ASSEMBLY = "assembly", _("Branch general meeting")
    COMMITTEE = "committee", _("Branch committee meeting")
    GROUP = "group", _("Party group meeting")
    LECTURE = "lecture", _("Party lecture")
    THEME_DAY = "theme_day", _("Themed party day")
    LIFE_MEETING = "life_meeting", _("Organisational life meeting")


class Meeting(models.Model):
    """One meeting of organisational life. Entered by the branch, or linked in from a live event its
    venue attended or a course its members completed — one row per source, never entered twice."""

    class Source(models.TextChoices):
        MANUAL = "manual", _("Entered by the branch")
        LIVE_EVENT = "live_event", _("Linked from a live lesson")
        COURSE = "course", _("Linked from an online course")

    org = models.ForeignKey(PartyOrg, on_delete=models.PROTECT, related_name="meetings", verbose_name=_("organisation"))
    kind = models.CharField(_("kind"), max_length=20, choices=MeetingKind.choices)
    held_on = models.DateField(_("date"), db_index=True)
    topic = models.CharField(_("topic"), max_length=200)
    place = models.CharField(_("place"), max_length=120, blank=True)
    expected = models.PositiveIntegerField(_("members expected"), default=0)
    present = models.PositiveIntegerField(_("members present"), default=0)
    attendees = models.ManyToManyField(MemberRecord, blank=True, related_name="meetings", verbose_name=_("attendees"))
    notes = models.TextField(_("notes"), blank=True)
    source = models.CharField(_("source"), max_length=12, choices=Source.choices, default=Source.MANUAL)
    live_event = models.ForeignKey(
        "streaming.LiveEvent", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    course = models.ForeignKey(
        "learning.CoursePage", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recorded_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("organisational-life meeting")
        verbose_name_plural = _("organisational-life meetings")
        ordering = ["-held_on", "-id"]
        # Covering for the organisational-life figures (branch, year, kind) without reading the rows.
        indexes = [models.Index(fields=["org", "held_on", "kind"])]
        constraints = [
            models.UniqueConstraint(
                fields=["org", "live_event"], condition=Q(live_event__isnull=False), name="meeting_one_per_live_event"
            ),
            models.UniqueConstraint(
                fields=["org", "course"], condition=Q(course__isnull=False), name="meeting_one_per_course"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.held_on} {self.get_kind_display()} {self.topic}"
