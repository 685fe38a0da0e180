"""The schema, as SQLAlchemy Core tables. Migrations under ``migrations/`` create it."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from herald.db.types import BigId, UTCDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# The delivery queue and, once finished, the delivery log.
deliveries = Table(
    "deliveries",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("lane", SmallInteger, nullable=False),  # 0 transactional, 1 campaign
    Column("channel", String(32), nullable=False),
    Column("recipient", String(1024), nullable=False),
    Column("ordering_key", String(1024)),
    Column("payload", JSON, nullable=False),
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("max_attempts", Integer, nullable=False),
    Column("run_at", UTCDateTime, nullable=False),
    Column("locked_until", UTCDateTime),
    Column("locked_by", String(128)),
    Column("last_error", Text),
    Column("provider_message_id", String(255)),
    Column("idempotency_key", String(255), unique=True),
    Column("campaign", String(128)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime),
    Column("notification_id", BigId),
    Index(
        "ix_deliveries_claim",
        "channel",
        "lane",
        "run_at",
        "id",
        sqlite_where=text("state = 'pending'"),
        postgresql_where=text("state = 'pending'"),
    ),
    # At most one in-flight delivery per ordering key, enforced by the database itself.
    Index(
        "ux_deliveries_running_key",
        "ordering_key",
        unique=True,
        sqlite_where=text("state = 'running'"),
        postgresql_where=text("state = 'running'"),
    ),
    Index(
        "ix_deliveries_lease",
        "locked_until",
        sqlite_where=text("state = 'running'"),
        postgresql_where=text("state = 'running'"),
    ),
    Index("ix_deliveries_state_finished", "state", "finished_at"),
    Index("ix_deliveries_campaign", "campaign"),
    Index("ix_deliveries_notification_id", "notification_id"),
)

# What sandbox senders "sent": the inbox of a channel that has no credentials.
sandbox_messages = Table(
    "sandbox_messages",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("delivery_id", BigId),
    Column("channel", String(32), nullable=False),
    Column("recipient", String(1024), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_sandbox_messages_channel_id", "channel", "id"),
)

# API keys: only a SHA-256 of each key is stored; the key itself is shown once.
api_keys = Table(
    "api_keys",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("name", String(128), nullable=False),
    Column("role", String(16), nullable=False),
    Column("prefix", String(16), nullable=False),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_used_at", UTCDateTime),
    Column("revoked_at", UTCDateTime),
    Column("signed_out_at", UTCDateTime),  # dashboard sessions issued before it are over
)

# One-time dashboard sign-in links printed by `herald serve` in dev mode (auth/links.py).
sign_in_links = Table(
    "sign_in_links",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("role", String(16), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("used_at", UTCDateTime),
    Column("key_id", BigId),  # the key its session signs in as
)

# The platform's users as herald knows them: addresses, preferences, opt-outs.
recipients = Table(
    "recipients",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("external_id", String(255), nullable=False, unique=True),
    Column("email", String(320)),
    Column("telegram_chat_id", String(64)),
    Column("telegram_unreachable_at", UTCDateTime),
    Column("telegram_unreachable_reason", String(255)),
    Column("locale", String(16)),
    Column("channels", JSON),  # preferred order, e.g. ["telegram", "email"]
    Column("opted_out", JSON),  # channels the recipient refused
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

push_subscriptions = Table(
    "push_subscriptions",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("recipient_id", BigId, nullable=False),
    Column("endpoint", String(2048), nullable=False, unique=True),
    Column("p256dh", String(255), nullable=False),
    Column("auth", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_push_subscriptions_recipient_id", "recipient_id"),
)

# One message to one recipient, delivered by the first channel that works.
notifications = Table(
    "notifications",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("recipient_id", BigId, nullable=False),
    Column("template", String(128), nullable=False),
    Column("variables", JSON, nullable=False),
    Column("channels", JSON, nullable=False),  # the order to try
    Column("lane", SmallInteger, nullable=False),
    Column("campaign", String(128)),
    Column("status", String(16), nullable=False),  # pending, delivered, failed
    Column("channel", String(32)),  # the channel being tried, or that delivered
    Column("delivery_id", BigId),  # the current delivery
    Column("error", Text),
    Column("idempotency_key", String(255), unique=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_notifications_status", "status"),
    Index("ix_notifications_recipient_id", "recipient_id"),
)

# Who may dispatch a channel alone (one Telegram dispatcher per bot token), until when.
channel_leases = Table(
    "channel_leases",
    metadata,
    Column("name", String(128), primary_key=True),
    Column("holder", String(128), nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
)

# Counts per UTC day that must survive restarts, e.g. paid Telegram broadcasts reserved
# against the day's budget ("telegram-paid:<bot>", "2026-12-07").
daily_counters = Table(
    "daily_counters",
    metadata,
    Column("name", String(128), primary_key=True),
    Column("day", String(10), primary_key=True),
    Column("used", Integer, nullable=False),
)

# A campaign: one template to many recipients on one channel, in the campaign lane.
campaigns = Table(
    "campaigns",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False),
    Column("template", String(128), nullable=False),
    Column("variables", JSON, nullable=False),
    Column("channel", String(32), nullable=False),
    Column("audience", JSON),  # null: every recipient; else a list of external ids
    Column("status", String(16), nullable=False),  # queued, cancelled
    Column("queued", Integer, nullable=False, server_default=text("0")),
    Column("skipped", Integer, nullable=False, server_default=text("0")),
    Column("created_at", UTCDateTime, nullable=False),
    Column("cancelled_at", UTCDateTime),
    Column("category", String(64)),  # herald.preferences: what recipients opt out of
    Column("all_queued_at", UTCDateTime),  # the last page queued; null: still queuing
    Column("finished_at", UTCDateTime),  # every delivery ended (campaign.finished)
)

# Scheduled posting. Guides and promos are one table: the same title, body and buttons,
# and a playlist may mix them.
content = Table(
    "content",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),  # guide, promo
    Column("seed_key", String(64), unique=True),  # set on the seeded defaults
    Column("title", String(256), nullable=False),
    Column("body", Text, nullable=False),
    Column("footer", String(512)),
    Column("buttons", JSON, nullable=False),  # [{text, url} | {text, action: "click"}]
    Column("alert_text", String(200)),  # a promo's answer to a tracked click
    Column("enabled", Boolean, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("format", String(16), nullable=False, server_default="plain"),  # or markdown
    Column("options", JSON),  # scheduling.options.PostOptions, only the fields set
    Column("variants", JSON),  # scheduling.variants.VariantTest: running, or the last ended
    Column("media", JSON),  # [media id, ...]: one file, or an album of 2 to 10
    Index("ix_content_kind_id", "kind", "id"),
)

schedules = Table(
    "schedules",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("name", String(128), nullable=False, unique=True),
    Column("kind", String(16), nullable=False),  # guides, promos, playlist
    Column("items", JSON),  # a playlist's content ids, in order
    Column("interval_seconds", Integer),
    Column("cron", String(128)),
    Column("timezone", String(64), nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("post_on_start", Boolean, nullable=False),
    Column("position", Integer, nullable=False, server_default=text("0")),
    Column("anchor_at", UTCDateTime, nullable=False),  # interval slots: anchor + k * interval
    Column("next_slot_at", UTCDateTime),  # the next slot to claim (null when paused)
    Column("last_slot_at", UTCDateTime),
    Column("last_result", JSON),
    Column("options", JSON),  # overrides the content's options field by field
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

schedule_chats = Table(
    "schedule_chats",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("schedule_id", BigId, nullable=False),
    Column("chat_id", String(64), nullable=False),
    # A forum topic (message_thread_id); 0 is the chat itself, so the unique key holds.
    Column("topic_id", BigInteger, nullable=False, server_default="0"),
    Column("active", Boolean, nullable=False),
    Column("inactive_reason", String(255)),
    Column("added_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    # An inactive chat whose bot was added back (my_chat_member): offered for reactivation.
    Column("readded_at", UTCDateTime),
    UniqueConstraint("schedule_id", "chat_id", "topic_id"),
)

# One row per slot claimed: the unique (schedule, slot) is what makes a slot post once.
schedule_runs = Table(
    "schedule_runs",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("schedule_id", BigId, nullable=False),
    Column("slot_at", UTCDateTime),  # null: a manual run, not a slot
    Column("trigger", String(16), nullable=False),  # scheduled, manual, start
    Column("status", String(16), nullable=False),  # queued, done, skipped, empty, no_chats
    Column("content_id", BigId),
    Column("content_kind", String(16)),
    Column("position", Integer),
    Column("chats", Integer, nullable=False, server_default=text("0")),
    Column("posted_to", Integer, nullable=False, server_default=text("0")),
    Column("failed", Integer, nullable=False, server_default=text("0")),
    Column("detail", Text),
    Column("claimed_by", String(128), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime),
    UniqueConstraint("schedule_id", "slot_at"),
    Index("ix_schedule_runs_status", "status"),
    Index("ix_schedule_runs_content_id", "content_id"),
)

# The post log: one row per (run, chat); the platform's MarketingPromoLog details.
schedule_posts = Table(
    "schedule_posts",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("run_id", BigId, nullable=False),
    Column("chat_id", String(64), nullable=False),
    Column("topic_id", BigInteger, nullable=False, server_default="0"),  # 0: no topic
    Column("delivery_id", BigId),
    Column("status", String(16), nullable=False),  # queued, sent, failed
    Column("message_id", String(64)),
    Column("error", Text),
    Column("updated_at", UTCDateTime, nullable=False),
    # The chat's getChatMemberCount when posted (scheduling/reach.py); null: not known.
    Column("member_count", Integer),
    Column("members_at", UTCDateTime),
    Column("variant", String(1)),  # the A/B variant posted (A-D); null: no test
    # A media post's messages: [{"message_id", "media_id"} | {"message_id", "buttons"}]
    # (an album's files in order, then its buttons' message); null for a text post.
    Column("messages", JSON),
    UniqueConstraint("run_id", "chat_id", "topic_id"),
    Index("ix_schedule_posts_delivery_id", "delivery_id"),
    Index("ix_schedule_posts_status", "status"),
    Index("ix_schedule_posts_chat_id_members_at", "chat_id", "members_at"),
)

# Every click on a tracked CTA (callback button or /r/ link), kept as it came: marketing
# counts totals and unique clickers from these rows, so nothing is de-duplicated.
clicks = Table(
    "clicks",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("promo_id", BigId),  # the content item (promo or guide); null: a bare link
    Column("link_id", BigId),  # a link registered through the API
    Column("cta", SmallInteger),
    Column("cta_text", String(256)),
    Column("source", String(16), nullable=False),  # callback, start, link
    Column("telegram_user_id", BigInteger),
    Column("username", String(64)),
    Column("recipient", String(255)),  # a link sent to one recipient
    Column("chat_id", String(64)),
    Column("message_id", BigInteger),
    Column("clicked_at", UTCDateTime, nullable=False),
    Column("meta", JSON),
    Column("flag", String(16)),  # null: a person; else why not (tracking.humans.ClickFlag)
    Column("variant", String(1)),  # the A/B variant the click's token named
    # the schedule run whose post a link was on (its token names it): with chat_id, the
    # post; null for presses (their message names the post) and older links
    Column("run_id", BigInteger),
    Index("ix_clicks_telegram_user_id", "telegram_user_id"),
    Index("ix_clicks_promo_id_clicked_at", "promo_id", "clicked_at"),
    Index("ix_clicks_telegram_user_id_promo_id", "telegram_user_id", "promo_id"),
    Index("ix_clicks_clicked_at", "clicked_at"),
)

# Links registered through the API (for emails and other messages): /r/ redirects only
# to a target stored here or in a content button.
tracked_links = Table(
    "tracked_links",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("target_url", String(2048), nullable=False),
    Column("promo_id", BigId),
    Column("label", String(256)),
    Column("created_at", UTCDateTime, nullable=False),
)

# The events outbox (herald.events): one row per fact, written in the fact's own
# transaction; ``id`` is the order events were recorded in, ``fanned_out_at`` is set
# once the webhooks room has queued a delivery for every subscribed endpoint.
events = Table(
    "events",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("event_id", String(64), nullable=False, unique=True),
    Column("type", String(64), nullable=False),
    Column("subject", String(128), nullable=False),
    Column("data", JSON, nullable=False),
    Column("occurred_at", UTCDateTime, nullable=False),
    Column("fanned_out_at", UTCDateTime),
    Index("ix_events_fanned_out_at", "fanned_out_at"),
)

# Categories of campaign messages (herald.preferences), which recipients opt out of;
# ``daily_cap`` overrides the per-channel daily cap for the category's messages.
categories = Table(
    "categories",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("key", String(64), nullable=False, unique=True),
    Column("name", String(128), nullable=False),
    Column("description", String(1000), nullable=False, server_default=""),
    Column("daily_cap", Integer),
    Column("created_at", UTCDateTime, nullable=False),
)

# A recipient's own time zone and quiet hours ("HH:MM" local); no row: the defaults.
recipient_preferences = Table(
    "recipient_preferences",
    metadata,
    Column("recipient_id", BigId, primary_key=True, autoincrement=False),
    Column("timezone", String(64)),
    Column("quiet_start", String(5)),
    Column("quiet_end", String(5)),
    Column("updated_at", UTCDateTime, nullable=False),
)

# What a recipient refused: one row per (category, channel), "" meaning every one, so
# ("", "") is unsubscribed from all campaign messages; ``source`` says who asked.
recipient_opt_outs = Table(
    "recipient_opt_outs",
    metadata,
    Column("recipient_id", BigId, primary_key=True, autoincrement=False),
    Column("category", String(64), primary_key=True),
    Column("channel", String(32), primary_key=True),
    Column("source", String(32), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

# What was done to a post after it was sent, one row per action and message: its pin,
# unpin and timed delete, and the edits and deletes asked for later (scheduling.lifecycle).
# ``request`` is the action's delivery's idempotency key, so a request repeated queues
# nothing twice.
schedule_post_actions = Table(
    "schedule_post_actions",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("post_id", BigId, nullable=False),
    Column("run_id", BigId, nullable=False),
    Column("action", String(16), nullable=False),  # pin, unpin, delete, edit
    Column("request", String(255), nullable=False, unique=True),
    Column("message_id", String(64), nullable=False),
    Column("status", String(16), nullable=False),  # queued, done, failed
    Column("delivery_id", BigId),
    Column("detail", Text),  # Telegram's description: why it failed, or "not modified"
    Column("due_at", UTCDateTime, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_schedule_post_actions_run_id", "run_id"),
    Index("ix_schedule_post_actions_delivery_id", "delivery_id"),
)

# The media library (herald.media): files posts carry, their bytes kept here so every
# replica reads them.
media = Table(
    "media",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),  # photo, video, animation, document
    Column("mime", String(64), nullable=False),  # as sniffed from the content
    Column("size", BigInteger, nullable=False),
    Column("name", String(255), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("width", Integer),
    Column("height", Integer),
    Column("source_url", String(2048)),  # registered by URL: where it was fetched
    Column("data", LargeBinary, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

# The file_id Telegram gave a media file, per bot (sha256 of its token, 16 hex): the
# file is uploaded once and sent by id after (herald.media.file_ids).
media_files = Table(
    "media_files",
    metadata,
    Column("media_id", BigId, primary_key=True, autoincrement=False),
    Column("bot", String(32), primary_key=True),
    Column("file_id", String(255), nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

# Webhook endpoints (herald.webhooks): where events are posted, what each subscribes to
# (event types, prefixes such as ``delivery.*``, or ``*``) and its signing secrets (the
# previous one signs too until ``previous_expires_at``, a day after a rotation).
# ``failing_since``: the first failure of the current streak (5 days of it disables).
webhook_endpoints = Table(
    "webhook_endpoints",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("url", String(2048), nullable=False),
    Column("description", String(500), nullable=False, server_default=""),
    Column("events", JSON, nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("disabled_reason", String(500)),
    Column("secret", String(128), nullable=False),
    Column("previous_secret", String(128)),
    Column("previous_expires_at", UTCDateTime),
    Column("failing_since", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    # The endpoint's own limits; null: the settings' (webhooks.endpoint_*).
    Column("max_in_flight", Integer),
    Column("rate_per_second", Float),
)

# Each request to an endpoint, for the dashboard (pruned with the delivery log).
webhook_attempts = Table(
    "webhook_attempts",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("endpoint_id", BigId, nullable=False),
    Column("event_id", String(64), nullable=False),
    Column("event_type", String(64), nullable=False),
    Column("delivery_id", BigId),
    Column("attempted_at", UTCDateTime, nullable=False),
    Column("status", Integer),
    Column("latency_ms", Float, nullable=False),
    Column("ok", Boolean, nullable=False),
    Column("error", String(500)),
    Column("response", String(500), nullable=False),
    Index("ix_webhook_attempts_endpoint_id_id", "endpoint_id", "id"),
    Index("ix_webhook_attempts_attempted_at", "attempted_at"),
)

# Campaign messages the dispatch gate let through, per recipient, channel, the
# recipient's local day ("2026-12-07") and cap bucket ("" all, or a category with a
# cap of its own): what the daily caps are judged by.
audience_counts = Table(
    "audience_counts",
    metadata,
    Column("recipient_id", BigId, primary_key=True, autoincrement=False),
    Column("channel", String(32), primary_key=True),
    Column("day", String(10), primary_key=True),
    Column("bucket", String(64), primary_key=True),
    Column("sent", Integer, nullable=False),
    Index("ix_audience_counts_day", "day"),
)

# Invite links of promos' join buttons (scheduling.invites): one per (promo, target
# chat, chat posted in, A/B variant); a refusal keeps Telegram's reason and no link.
invite_links = Table(
    "invite_links",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("content_id", BigId, nullable=False),
    Column("target_chat_id", String(64), nullable=False),  # the chat it invites to
    Column("source_chat_id", String(64), nullable=False),  # the chat the promo is posted in
    Column("name", String(32), nullable=False),
    Column("invite_link", String(255), unique=True),  # null: Telegram refused (error)
    Column("error", Text),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    # the A/B variant of the posts it is on; "" outside a test (a key column: not null)
    Column("variant", String(1), nullable=False, server_default=""),
    UniqueConstraint(
        "content_id",
        "target_chat_id",
        "source_chat_id",
        "variant",
        name="uq_invite_links_per_variant",
    ),
)

# A person who joined a chat through one of herald's invite links (tracking.joins), from
# Telegram's chat_member update; the same (link, user, time) is stored once.
joins = Table(
    "joins",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("invite_link_id", BigId, nullable=False),
    Column("content_id", BigId, nullable=False),
    Column("target_chat_id", String(64), nullable=False),
    Column("source_chat_id", String(64), nullable=False),
    Column("telegram_user_id", BigInteger, nullable=False),
    Column("joined_at", UTCDateTime, nullable=False),
    Column("variant", String(1)),  # the link's A/B variant; null outside a test
    UniqueConstraint("invite_link_id", "telegram_user_id", "joined_at"),
    Index("ix_joins_content_id_joined_at", "content_id", "joined_at"),
)
