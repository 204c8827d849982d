"""Demo data of live events: a venue for every branch that has a venue operator, a year of past
events at the article's scale (800 events, about 43,000 participant-times at --scale 1), chat and
questions on the most recent ones, and one upcoming event with invited venues (demo_venue's too).

Rows are bulk-created (thousands of them); each step looks for its own rows first.
"""

from __future__ import annotations

import datetime
import random
from collections import defaultdict

from django.db.models import Q
from django.utils import timezone

from core.demo import names
from core.demo.generate import apportion
from core.demo.registry import DemoContext, demo_step
from core.demo.steps import CITY_ORG_CODE, DEMO_VILLAGE_CODE, branch_code
from core.models import Area, Membership, PartyOrg, Role, User
from streaming.demo import texts
from streaming.models import (
    ChatMessage,
    Invitation,
    LiveEvent,
    MemberAttendance,
    Question,
    StreamItem,
    Venue,
    VenueAttendance,
    VenueOnlineInterval,
)
from streaming.services.payloads import chat_payload, question_payload, state_payload
from streaming.services.stream import encode

BATCH = 1000
EVENTS_PER_YEAR = 800
PARTICIPANT_TIMES_PER_YEAR = 43_000
MAIN_VENUE_NAME = "东港市委党校主会场"
UPCOMING_TITLE = "学习贯彻党的二十届四中全会精神专题党课"
CHAT_EVENTS = 4
State = LiveEvent.State
Audience = LiveEvent.Audience


def _venue_name(org: PartyOrg) -> str:
    area = org.area
    if area is not None and area.level == Area.Level.VILLAGE:
        return f"{area.name}党群服务中心分会场"
    if area is not None and area.level == Area.Level.TOWN:
        return f"{area.name}党委会议室分会场"
    return f"{org.name}分会场"


@demo_step(order=300, models=("streaming.Venue",))
def seed_venues(ctx: DemoContext) -> str:
    city_org = PartyOrg.objects.filter(code=CITY_ORG_CODE).select_related("area").first()
    if city_org is None:
        return "skipped: no party organisations"
    made = 0
    if not Venue.objects.filter(kind=Venue.Kind.MAIN, party_org=city_org).exists():
        Venue.objects.create(
            name=MAIN_VENUE_NAME,
            kind=Venue.Kind.MAIN,
            party_org=city_org,
            area=city_org.area,
            address="东港市新兴区市委党校报告厅",
            capacity=300,
        )
        made += 1
    has_venue = set(Venue.objects.exclude(party_org=None).values_list("party_org_id", flat=True))
    operated = (
        PartyOrg.objects.filter(
            pk__in=Membership.objects.filter(role=Role.VENUE_OPERATOR, party_org__isnull=False).values("party_org_id")
        )
        .exclude(pk__in=has_venue)
        .select_related("area")
        .order_by("path")
    )
    new = [
        Venue(
            name=_venue_name(org),
            kind=Venue.Kind.BRANCH,
            party_org=org,
            area=org.area,
            capacity=ctx.rng.choice([40, 50, 60, 80, 100, 120]),
        )
        for org in operated
    ]
    Venue.objects.bulk_create(new, batch_size=BATCH)
    made += len(new)
    return f"{made} venues" if made else "skipped: venues are there"


def _title(rng: random.Random) -> str:
    series = rng.choice(texts.SERIES)
    return f"{series}{rng.choice(texts.TOPICS)}{rng.choice(texts.KINDS)}"[:200]


def _event_start(rng: random.Random, day: datetime.date) -> datetime.datetime:
    hour, minute = rng.choice([(8, 30), (9, 0), (9, 0), (9, 30), (14, 0), (14, 30), (15, 0), (19, 0)])
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


class _Plan:
    """Who is where: venues by town, members by branch, the organisers."""

    def __init__(self, rng: random.Random) -> None:
        self.main = Venue.objects.filter(kind=Venue.Kind.MAIN).order_by("pk").first()
        venues = list(Venue.objects.filter(kind=Venue.Kind.BRANCH).select_related("area", "party_org").order_by("pk"))
        self.branch_venues = venues
        self.by_town: dict[int, list[Venue]] = defaultdict(list)
        towns = {a.path: a.pk for a in Area.objects.filter(level=Area.Level.TOWN)}
        for venue in venues:
            path = venue.area.path if venue.area else ""
            for town_path, town_id in towns.items():
                if path.startswith(town_path):
                    self.by_town[town_id].append(venue)
        self.members_by_org: dict[int, list[int]] = defaultdict(list)
        for user_id, org_id in Membership.objects.filter(role=Role.MEMBER).values_list("user_id", "party_org_id"):
            self.members_by_org[org_id].append(user_id)
        self.all_members = sorted({u for ids in self.members_by_org.values() for u in ids})
        ops = list(Membership.objects.filter(role=Role.OPS_ADMIN).values_list("user_id", flat=True).order_by("user_id"))
        demo_ops = User.objects.filter(username="demo_ops").values_list("pk", flat=True).first()
        self.city_organisers = [demo_ops] if demo_ops else ops[:1]
        self.city_organisers += [u for u in ops if u != demo_ops]
        self.town_organisers: dict[int, list[int]] = defaultdict(list)
        for user_id, area_id in Membership.objects.filter(role=Role.TOWN_STAFF).values_list("user_id", "area_id"):
            self.town_organisers[area_id].append(user_id)
        self.rng = rng


@demo_step(
    order=310,
    models=(
        "streaming.LiveEvent",
        "streaming.Invitation",
        "streaming.VenueAttendance",
        "streaming.VenueOnlineInterval",
        "streaming.MemberAttendance",
    ),
)
def seed_past_events(ctx: DemoContext) -> str:
    if LiveEvent.objects.filter(state__in=[State.ENDED, State.REPLAY_READY, State.CANCELLED]).exists():
        return "skipped: past events are there"
    rng = ctx.rng
    plan = _Plan(rng)
    if plan.main is None or not plan.branch_venues or not plan.city_organisers:
        return "skipped: no venues or organisers"
    n_events = ctx.scaled(EVENTS_PER_YEAR)
    today = timezone.localdate()
    # Weekdays of the past year, a few events a day on busy days.
    days = [today - datetime.timedelta(days=d) for d in range(1, 366)]
    workdays = [d for d in days if d.weekday() < 5] or days
    towns = [t for t in plan.by_town if plan.by_town[t] and plan.town_organisers.get(t)]

    events: list[LiveEvent] = []
    invited: list[list[Venue]] = []
    for _ in range(n_events):
        start = _event_start(rng, rng.choice(workdays))
        minutes = rng.choice([60, 75, 90, 90, 120, 150])
        town_event = towns and rng.random() < 0.45
        if town_event:
            town = rng.choice(towns)
            pool = plan.by_town[town]
            organiser = rng.choice(plan.town_organisers[town])
        else:
            pool = plan.branch_venues
            organiser = rng.choice(plan.city_organisers)
        chosen = rng.sample(pool, min(len(pool), rng.randint(3, 12)))
        cancelled = rng.random() < 0.02
        started = start + datetime.timedelta(minutes=rng.randint(-2, 5))
        audience = rng.choices([Audience.MEMBERS, Audience.INVITED, Audience.PUBLIC], weights=[7, 2, 1])[0]
        events.append(
            LiveEvent(
                title=_title(rng),
                description="",
                organiser_id=organiser,
                scheduled_start=start,
                scheduled_end=start + datetime.timedelta(minutes=minutes),
                main_venue=plan.main,
                audience=audience,
                state=State.CANCELLED if cancelled else State.ENDED,
                started_at=None if cancelled else started,
                ended_at=None if cancelled else started + datetime.timedelta(minutes=minutes + rng.randint(-5, 10)),
                cancel_reason="因天气原因取消" if cancelled else "",
            )
        )
        invited.append(chosen)
    LiveEvent.objects.bulk_create(events, batch_size=BATCH)
    Invitation.objects.bulk_create(
        [Invitation(event=e, venue=v) for e, vs in zip(events, invited, strict=True) for v in vs], batch_size=BATCH
    )

    held = [i for i, e in enumerate(events) if e.state == State.ENDED]
    targets = apportion(ctx.scaled(PARTICIPANT_TIMES_PER_YEAR), [rng.lognormvariate(0, 0.5) for _ in held], minimum=5)
    attendance: list[VenueAttendance] = []
    ticks: list[list[int]] = []
    people: list[MemberAttendance] = []
    for index, target in zip(held, targets, strict=True):
        event = events[index]
        duration = (event.ended_at - event.started_at).total_seconds()
        personal_share = 0.0 if event.audience == Audience.INVITED else rng.uniform(0.05, 0.25)
        personal = min(round(target * personal_share), len(plan.all_members))
        at_venues = target - personal
        venues = [v for v in invited[index] if rng.random() < 0.9] or invited[index][:1]
        venues = venues[: max(1, at_venues)]
        taken: set[int] = set()
        for venue, headcount in zip(venues, apportion(at_venues, [rng.uniform(0.6, 1.4) for _ in venues]), strict=True):
            checked_in = event.started_at - datetime.timedelta(minutes=rng.randint(1, 15))
            attendance.append(
                VenueAttendance(
                    event=event,
                    venue=venue,
                    checked_in_at=checked_in,
                    headcount=headcount,
                    first_seen_at=checked_in - datetime.timedelta(minutes=2),
                    last_heartbeat_at=event.ended_at,
                    health=VenueAttendance.Health.PLAYING,
                )
            )
            branch = [u for u in plan.members_by_org.get(venue.party_org_id, []) if u not in taken]
            present = rng.sample(branch, min(len(branch), headcount // 2, rng.randint(2, 8)))
            taken.update(present)
            ticks.append(present)
            people.extend(
                MemberAttendance(
                    event=event,
                    user_id=u,
                    venue=venue,
                    first_seen_at=checked_in,
                    last_seen_at=event.ended_at,
                    seconds=round(duration),
                )
                for u in present
            )
        pool = [u for u in rng.sample(plan.all_members, min(len(plan.all_members), personal * 2)) if u not in taken]
        for user_id in pool[:personal]:
            seconds = rng.randint(120, max(121, int(duration)))
            first = event.started_at + datetime.timedelta(seconds=rng.randint(0, max(1, int(duration) - seconds)))
            people.append(
                MemberAttendance(
                    event=event,
                    user_id=user_id,
                    first_seen_at=first,
                    last_seen_at=first + datetime.timedelta(seconds=seconds),
                    seconds=seconds,
                )
            )
    VenueAttendance.objects.bulk_create(attendance, batch_size=BATCH)
    VenueOnlineInterval.objects.bulk_create(
        [
            VenueOnlineInterval(attendance=a, started_at=a.first_seen_at, ended_at=a.last_heartbeat_at)
            for a in attendance
        ],
        batch_size=BATCH,
    )
    through = VenueAttendance.members.through
    through.objects.bulk_create(
        [
            through(venueattendance_id=a.pk, user_id=u)
            for a, present in zip(attendance, ticks, strict=True)
            for u in present
        ],
        batch_size=BATCH,
    )
    MemberAttendance.objects.bulk_create(people, batch_size=BATCH)
    total = sum(a.headcount for a in attendance) + sum(1 for p in people if p.venue_id is None)
    _seed_chat(rng, [events[i] for i in sorted(held, key=lambda i: events[i].started_at)[-CHAT_EVENTS:]])
    return f"{len(events)} past events, {total} participant-times, {len(people)} attendance records"


def _seed_chat(rng: random.Random, events: list[LiveEvent]) -> None:
    """Chat, questions and an announcement on the most recent events, with their stream items."""
    attended = defaultdict(list)
    for a in VenueAttendance.objects.filter(event__in=events).select_related("venue"):
        attended[a.event_id].append(a.venue)
    operators = {
        org_id: user_id
        for user_id, org_id in Membership.objects.filter(role=Role.VENUE_OPERATOR).values_list(
            "user_id", "party_org_id"
        )
    }
    people = {u.pk: u for u in User.objects.filter(pk__in=operators.values())}
    for event in events:
        venues = [v for v in attended[event.pk] if operators.get(v.party_org_id) in people]
        if not venues:
            continue
        items: list[tuple[str, dict, datetime.datetime]] = [
            ("state", {**state_payload(event), "state": State.LIVE, "ended_at": None}, event.started_at)
        ]
        moment = event.started_at
        for line in rng.sample(texts.CHAT_LINES, min(len(texts.CHAT_LINES), rng.randint(6, 10))):
            venue = rng.choice(venues)
            moment += datetime.timedelta(seconds=rng.randint(30, 300))
            message = ChatMessage.objects.create(
                event=event,
                author=people[operators[venue.party_org_id]],
                venue=venue,
                author_name=venue.name,
                text=line.format(venue=venue.name),
            )
            ChatMessage.objects.filter(pk=message.pk).update(created_at=moment)
            message.created_at = moment
            items.append(("chat", chat_payload(message), moment))
        for text in rng.sample(texts.QUESTIONS, rng.randint(2, 4)):
            venue = rng.choice(venues)
            moment += datetime.timedelta(seconds=rng.randint(60, 400))
            question = Question.objects.create(
                event=event,
                author=people[operators[venue.party_org_id]],
                venue=venue,
                author_name=venue.name,
                text=text,
                state=Question.State.ANSWERED,
                seconds=rng.randint(0, 6),
                answered_at=moment + datetime.timedelta(minutes=5),
            )
            Question.objects.filter(pk=question.pk).update(created_at=moment)
            question.created_at = moment
            items.append(("question", question_payload(question), moment))
        items.append(("state", state_payload(event), event.ended_at))
        rows = [
            StreamItem(event=event, seq=seq, kind=kind, data=encode({"type": kind, "seq": seq, **payload}))
            for seq, (kind, payload, _at) in enumerate(items, 1)
        ]
        StreamItem.objects.bulk_create(rows)
        LiveEvent.objects.filter(pk=event.pk).update(last_seq=len(rows))


@demo_step(order=320, models=("streaming.LiveEvent", "streaming.Invitation"))
def seed_upcoming_event(ctx: DemoContext) -> str:
    now = timezone.now()
    if (
        LiveEvent.objects.filter(title=UPCOMING_TITLE, state__in=[State.SCHEDULED, State.LIVE])
        .filter(Q(state=State.LIVE) | Q(scheduled_end__gte=now))
        .exists()
    ):
        return "skipped: the upcoming event is there"
    rng = ctx.rng
    main = Venue.objects.filter(kind=Venue.Kind.MAIN).order_by("pk").first()
    organiser = (
        User.objects.filter(username="demo_ops").first()
        or User.objects.filter(memberships__role=Role.OPS_ADMIN).order_by("pk").first()
    )
    if main is None or organiser is None:
        return "skipped: no main venue or organiser"
    demo_branch = PartyOrg.objects.filter(code=branch_code(DEMO_VILLAGE_CODE, 1)).first()
    demo_venue = Venue.objects.filter(party_org=demo_branch).first() if demo_branch else None
    others = list(Venue.objects.filter(kind=Venue.Kind.BRANCH).exclude(pk=getattr(demo_venue, "pk", None)))
    venues = ([demo_venue] if demo_venue else []) + rng.sample(others, min(len(others), 19))
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    start = timezone.make_aware(datetime.datetime.combine(tomorrow, datetime.time(9, 0)))
    event = LiveEvent.objects.create(
        title=UPCOMING_TITLE,
        description=f"{names.CITY_NAME}委组织部主办。主会场设在市委党校，各镇街、村（社区）分会场同步收看，"
        "请各分会场提前 10 分钟打开会场大屏并签到。",
        agenda="08:50 各分会场打开大屏、签到\n09:00 开班动员讲话\n09:20 专题党课：学习贯彻全会精神辅导报告\n"
        "10:30 基层党建工作经验交流\n10:50 互动答疑\n11:00 结束",
        organiser=organiser,
        organiser_org=main.party_org,
        scheduled_start=start,
        scheduled_end=start + datetime.timedelta(hours=2),
        main_venue=main,
        audience=Audience.MEMBERS,
    )
    Invitation.objects.bulk_create([Invitation(event=event, venue=v) for v in venues])
    return f"1 upcoming event with {len(venues)} invited venues"
