"""Wiring: build every long-lived object from one Settings, in one place.

The web app factory and each CLI command build a Runtime and pass its parts
down; nothing else constructs engines, queues or senders.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

import structlog

from herald.auth import ApiKeys, SignInLinks
from herald.auth.recipient_links import RecipientLinks
from herald.bot.callbacks import Callbacks, SandboxBot
from herald.bot.commands import Commands
from herald.bot.joins import Joins
from herald.bot.membership import Membership
from herald.bot.offers import Offers
from herald.bot.opt_out import TelegramOptOut
from herald.bot.polling import Poller, PollLease
from herald.bot.replies import Replies
from herald.bot.updates import UpdateHandler
from herald.channel import WEBHOOK_CHANNEL, Channel
from herald.channels import SandboxSender, Sender
from herald.channels.email import EmailSender
from herald.channels.push import PushSender
from herald.channels.telegram import TelegramSender
from herald.channels.telegram.client import BotApi
from herald.channels.webhook import WebhookSender
from herald.clock import Clock, SystemClock
from herald.config import ConfigError, Settings
from herald.db import Database
from herald.media import MediaLibrary
from herald.media.file_ids import FileIds
from herald.messaging.campaigns import Campaigns
from herald.messaging.effects import MessagingEffects
from herald.messaging.intake import Intake
from herald.messaging.notifications import Notifier
from herald.messaging.recipients import Recipients
from herald.messaging.templates import TemplateError, TemplateRegistry
from herald.metrics import Metrics
from herald.preferences import CategoryStore, PreferenceStore
from herald.preferences.gate import PreferenceGate
from herald.preferences.optouts import OptOuts
from herald.queue import DeliveryQueue, OutcomesHooks, RetryPolicy
from herald.queue.leases import Leases
from herald.scheduling.content import ContentStore
from herald.scheduling.effects import PostingEffects
from herald.scheduling.invites import InviteLinks
from herald.scheduling.lifecycle import PostLifecycle
from herald.scheduling.runner import SlotRunner, default_holder
from herald.scheduling.runs import RunLog
from herald.scheduling.schedules import ScheduleStore
from herald.scheduling.service import SchedulerService
from herald.tracking.analytics import Analytics
from herald.tracking.clicks import ClickStore
from herald.tracking.humans import HitFilter, LastSends
from herald.tracking.joins import JoinStore
from herald.tracking.signing import Signer
from herald.tracking.targets import Targets
from herald.tracking.variants import VariantAnalytics
from herald.webhooks import EndpointStore
from herald.webhooks.attempts import AttemptLog
from herald.webhooks.fanout import RETRY_POLICY as WEBHOOK_RETRY_POLICY
from herald.webhooks.fanout import Fanout
from herald.worker import Worker
from herald.worker.delivery_events import DeliveryEvents
from herald.worker.observer import Observers
from herald.worker.options import WorkerOptions
from herald.worker.plan import ChannelPlan
from herald.worker.ratelimit import RateLimit
from herald.worker.recipients import RecipientLimits
from herald.worker.telegram import telegram_concurrency, telegram_plan

CHANNELS = tuple(Channel)
log = structlog.get_logger("herald")


def retry_policies(settings: Settings) -> dict[str, RetryPolicy]:
    return {
        name: RetryPolicy(
            max_attempts=c.max_attempts,
            base_seconds=c.backoff_base_seconds,
            max_seconds=c.backoff_max_seconds,
            jitter=c.backoff_jitter,
        )
        for name in CHANNELS
        for c in [settings.channel(name)]
    } | {WEBHOOK_CHANNEL: WEBHOOK_RETRY_POLICY}


def build_senders(settings: Settings, db: Database, clock: Clock) -> dict[str, Sender]:
    """A real sender for each channel with credentials; the sandbox for the others.

    A credential the sender refuses (a malformed VAPID key, a bad From address)
    becomes a ConfigError naming the variable, so the CLI can say it in one line.
    """
    senders: dict[str, Sender] = {name: SandboxSender(name, db, clock) for name in CHANNELS}
    s = settings
    if s.telegram_bot_token is not None:
        with _blame("HERALD_TELEGRAM_BOT_TOKEN"):
            senders[Channel.TELEGRAM] = TelegramSender(
                s.telegram_bot_token.get_secret_value(),
                api_url=s.telegram_api_url,
                connection_pool_size=max(100, telegram_concurrency(s.telegram)),
                media=MediaLibrary(db, clock),
                file_ids=FileIds(db, clock),
            )
    if s.smtp_host:
        with _blame("HERALD_EMAIL_FROM / HERALD_SMTP_*"):
            senders[Channel.EMAIL] = EmailSender(
                host=s.smtp_host,
                port=s.smtp_port,
                from_address=s.email_from,
                username=s.smtp_username,
                password=s.smtp_password.get_secret_value() if s.smtp_password else None,
                security=s.smtp_security,
                max_connections=s.email.connections,
                max_messages_per_connection=s.email.messages_per_connection,
            )
    if s.vapid_private_key is not None:
        with _blame("HERALD_VAPID_PRIVATE_KEY / HERALD_VAPID_SUBJECT"):
            senders[Channel.PUSH] = PushSender(
                s.vapid_private_key.get_secret_value(),
                s.vapid_subject,
                clock=clock,
                allow_insecure_endpoints=s.push_allow_http_endpoints,
                max_connections=s.push.connections,
            )
    return senders


@contextlib.contextmanager
def _blame(variables: str) -> Iterator[None]:
    try:
        yield
    except (ValueError, TemplateError) as exc:
        raise ConfigError(f"{variables}: {exc}") from None


@dataclass
class Runtime:
    settings: Settings
    db: Database
    clock: Clock
    queue: DeliveryQueue
    metrics: Metrics
    api_keys: ApiKeys
    sign_in_links: SignInLinks
    recipients: Recipients
    categories: CategoryStore
    preferences: PreferenceStore
    opt_outs: OptOuts
    templates: TemplateRegistry
    notifier: Notifier
    intake: Intake
    campaigns: Campaigns
    content: ContentStore
    schedules: ScheduleStore
    runner: SlotRunner
    signer: Signer
    recipient_links: RecipientLinks
    scheduler: SchedulerService
    runs: RunLog
    lifecycle: PostLifecycle  # a run's posts edited or deleted everywhere
    clicks: ClickStore
    hits: HitFilter
    targets: Targets
    analytics: Analytics
    media: MediaLibrary
    webhooks: EndpointStore
    variant_analytics: VariantAnalytics
    fanout: Fanout
    webhook_attempts: AttemptLog
    joins: JoinStore
    senders: dict[str, Sender] = field(default_factory=dict)
    bot: BotApi | None = None  # None without a bot token: no updates to receive
    updates: UpdateHandler | None = None
    # Without a token, presses in the sandbox inbox take the path of real ones.
    sandbox_callbacks: Callbacks | None = None

    @classmethod
    def build(
        cls,
        settings: Settings,
        *,
        clock: Clock | None = None,
        senders: Mapping[str, Sender] | None = None,
    ) -> Runtime:
        clock = clock or SystemClock()
        db = Database(settings.database_url, sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms)
        attempts = AttemptLog()  # written with the outcomes, as their events are
        queue = DeliveryQueue(
            db,
            clock,
            policies=retry_policies(settings),
            lease_seconds=settings.lease_seconds,
            chunk_size=settings.enqueue_chunk_size,
            on_outcomes=OutcomesHooks(DeliveryEvents(), attempts),
        )
        chosen = dict(senders) if senders is not None else build_senders(settings, db, clock)
        hooks = settings.webhooks
        webhooks = EndpointStore(db, clock, allow_private=hooks.allow_private_networks)
        chosen.setdefault(
            WEBHOOK_CHANNEL,
            WebhookSender(
                webhooks,
                attempts,
                clock,
                allow_private=hooks.allow_private_networks,
                timeout_seconds=hooks.timeout_seconds,
                max_connections=hooks.connections,
            ),
        )
        with _blame("HERALD_TEMPLATES_DIR"):
            templates = TemplateRegistry(
                settings.templates_dir, default_locale=settings.default_locale
            )
        metrics = Metrics()
        recipients = Recipients(db, clock)
        categories = CategoryStore(db, clock)
        preferences = PreferenceStore(db, clock)
        secret_key = settings.secret_key.get_secret_value()
        signer = Signer(secret_key)
        recipient_links = RecipientLinks(secret_key, settings.public_url)
        schedule_store = ScheduleStore(db, clock)
        content = ContentStore(db, clock)
        targets = Targets(db, content, clock)
        clicks = ClickStore(db, metrics)
        runs = RunLog(db)
        bot = None
        if settings.telegram_bot_token is not None:
            with _blame("HERALD_TELEGRAM_BOT_TOKEN"):
                bot = BotApi(
                    settings.telegram_bot_token.get_secret_value(), settings.telegram_api_url
                )
        runner = SlotRunner(
            db,
            clock,
            queue,
            signer,
            metrics,
            grace=timedelta(seconds=settings.schedule_grace_seconds),
            public_url=settings.public_url,
            invites=InviteLinks(db, clock, bot),
        )
        runtime = cls(
            settings=settings,
            db=db,
            clock=clock,
            queue=queue,
            metrics=metrics,
            api_keys=ApiKeys(db, clock),
            sign_in_links=SignInLinks(db, clock),
            recipients=recipients,
            categories=categories,
            preferences=preferences,
            opt_outs=OptOuts(preferences, metrics),
            templates=templates,
            notifier=Notifier(db, clock, queue, recipients, templates, metrics),
            intake=Intake(db, clock, queue, recipients, templates, metrics),
            campaigns=Campaigns(
                db,
                clock,
                queue,
                recipients,
                templates,
                metrics,
                categories,
                email_cap_per_hour=settings.email_campaign_cap_per_hour,
                links=recipient_links,
            ),
            content=content,
            schedules=schedule_store,
            runner=runner,
            signer=signer,
            recipient_links=recipient_links,
            scheduler=SchedulerService(
                schedule_store, runner, clock, content, sync_seconds=settings.schedule_sync_seconds
            ),
            runs=runs,
            lifecycle=PostLifecycle(
                db, clock, queue, schedule_store, runs, signer, settings.public_url
            ),
            clicks=clicks,
            hits=HitFilter(LastSends(db, clock), clock),
            targets=targets,
            analytics=Analytics(db),
            media=MediaLibrary(db, clock),
            webhooks=webhooks,
            fanout=Fanout(
                db,
                clock,
                queue,
                webhooks,
                interval=settings.webhooks.fanout_interval_seconds,
                retention=timedelta(days=settings.retention_days),
            ),
            variant_analytics=VariantAnalytics(db),
            webhook_attempts=attempts,
            joins=JoinStore(db),
            senders=chosen,
        )
        opt_out = TelegramOptOut(recipients, categories, runtime.opt_outs, recipient_links)
        if bot is None:
            runtime.sandbox_callbacks = Callbacks(
                signer, targets, clicks, None, SandboxBot(), metrics, clock, opt_out=opt_out
            )
        else:
            runtime.bot = bot
            runtime.updates = UpdateHandler(
                Commands(
                    schedule_store,
                    Replies(queue),
                    bot,
                    Offers(signer, targets, settings.public_url),
                    admin_ids=settings.telegram_admin_ids,
                    opt_out=opt_out,
                ),
                Callbacks(
                    signer,
                    targets,
                    clicks,
                    bot,
                    bot,
                    metrics,
                    clock,
                    opt_out=opt_out,
                ),
                bot,
                metrics,
                membership=Membership(schedule_store, metrics),
                joins=Joins(runtime.joins),
            )
        return runtime

    @property
    def bot_key(self) -> str | None:
        """A short, stable, secret-free name for the bot (its token's hash), for leases."""
        if self.settings.telegram_bot_token is None:
            return None
        token = self.settings.telegram_bot_token.get_secret_value()
        return hashlib.sha256(token.encode()).hexdigest()[:16]

    def poller(self) -> Poller | None:
        """Long polling for this bot, run by one process at a time (a database lease)."""
        if self.bot is None or self.updates is None or self.settings.updates_mode != "polling":
            return None
        lease = PollLease(
            Leases(self.db, self.clock), f"telegram-updates:{self.bot_key}", default_holder()
        )
        return Poller(self.bot, self.updates, self.clock, lease=lease, answerer=self.bot)

    @property
    def sandbox_channels(self) -> list[str]:
        return sorted(str(name) for name, s in self.senders.items() if s.sandbox)

    def worker(self, *, exclusive: bool = True, **tuning: Any) -> Worker:
        """The worker for every channel's sender, each with its plan (Telegram's from
        ``telegram_plan``). ``tuning`` overrides ``WorkerOptions`` fields; ``exclusive``
        False leaves out the one-dispatcher-per-bot lease (for a process known to be
        the only one, such as a test's second worker in a row)."""
        s = self.settings
        plans = {
            name: ChannelPlan.from_settings(s.channel(Channel(name)), sender)
            for name, sender in self.senders.items()
            if name != WEBHOOK_CHANNEL
        }
        if (webhook := self.senders.get(WEBHOOK_CHANNEL)) is not None:
            hooks = s.webhooks
            plans[WEBHOOK_CHANNEL] = ChannelPlan(
                webhook,
                rate=RateLimit(hooks.rate_per_second, hooks.burst),
                concurrency=hooks.concurrency,
                per_recipient=RecipientLimits(  # the recipient is the endpoint
                    hooks.endpoint_concurrency,
                    RateLimit(hooks.endpoint_rate_per_second, hooks.endpoint_burst),
                    own=self.webhooks.own_limits,
                ),
                background=True,  # events wait while the alerts burst
            )
        if (telegram := self.senders.get(Channel.TELEGRAM)) is not None:
            plans[Channel.TELEGRAM] = telegram_plan(s.telegram, telegram, self.bot_key)
        if not exclusive:
            plans = {name: replace(plan, exclusive=None) for name, plan in plans.items()}
        return Worker(
            self.queue,
            plans,
            options=replace(WorkerOptions.from_settings(s), **tuning),
            metrics=self.metrics,
            observer=Observers(
                MessagingEffects(
                    self.notifier, self.recipients, self.metrics, self.campaigns.finishing
                ),
                PostingEffects(
                    self.db,
                    self.clock,
                    self.schedules,
                    self.metrics,
                    self.queue,
                    count_members=telegram is not None and not telegram.sandbox,
                ),
                self.webhook_attempts,
            ),
            leases=Leases(self.db, self.clock),
            gate=PreferenceGate(self.preferences, self.categories, s.audience, self.clock),
        )

    def log_channels(self) -> None:
        """Says at start what this configuration leaves out: channels in the sandbox,
        herald's own unsubscribe links."""
        if self.sandbox_channels:
            log.warning(
                "channels_in_sandbox",
                channels=self.sandbox_channels,
                hint="no credentials configured: messages go to the sandbox inbox",
            )
        if self.recipient_links.public_url is None:
            log.warning(
                "unsubscribe_links_unavailable",
                hint="HERALD_PUBLIC_URL unset: campaign emails carry no unsubscribe or "
                "preference links of herald's, and /settings cannot send one",
            )

    async def close(self) -> None:
        await self.intake.close()  # requests handed in are answered first
        await self.clicks.close()  # buffered clicks are written before the database goes
        for sender in self.senders.values():
            await sender.close()
        if self.bot is not None:
            await self.bot.close()
        await self.db.dispose()
