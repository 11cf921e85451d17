// Alarm notification routes (/api/alarms/notifications/…): how an alarm reaches people besides the WebSocket
// clients — a webhook (POST JSON) and e-mail over SMTP — throttled per alarm and method, with a delivery history.
// Secrets (the SMTP password, the webhook's bearer token) are written, never read back: responses carry them as
// null with a `*_set` flag.

import { type Static, Type } from 'typebox';
import { Nullable } from './helpers.js';

/**
 * The methods of an alarm's `notifications` (NOTIFICATION_METHODS, alarms.ts) that deliver outside LabLink, and so
 * can be tested, throttled and fail. `websocket` is the alarm event itself.
 */
export const DELIVERY_METHODS = ['webhook', 'email'] as const;
export type DeliveryMethod = (typeof DELIVERY_METHODS)[number];

/** Bounds of the notification settings. */
export const NOTIFICATION_LIMITS = {
  maxRecipients: 20,
  maxUrlLength: 2048,
  maxSecretLength: 1024,
  maxHostLength: 253,
  maxEmailLength: 254,
  /** Minutes between two notifications of one alarm by one method: 0 (no pause) up to a day. */
  throttleMinutes: { min: 0, max: 1440 },
  maxPerHour: { min: 1, max: 1000 },
  historyLimit: { min: 1, max: 1000, default: 100 },
} as const;

const L = NOTIFICATION_LIMITS;
const literals = <const T extends string[]>(values: readonly [...T]) => Type.Enum<T>(values);

const HttpUrl = Type.String({
  minLength: 8,
  maxLength: L.maxUrlLength,
  pattern: '^[Hh][Tt][Tt][Pp][Ss]?://[^\\s]+$',
  description: 'An http:// or https:// URL',
});
const Email = Type.String({ format: 'email', maxLength: L.maxEmailLength });
const SmtpHost = Type.String({
  minLength: 1,
  maxLength: L.maxHostLength,
  pattern: '^[A-Za-z0-9._:\\[\\]-]+$',
  description: 'Host name or IP address of the SMTP server',
});
const Secret = Type.String({ minLength: 1, maxLength: L.maxSecretLength });
const Port = Type.Integer({ minimum: 1, maximum: 65_535 });
const ThrottleMinutes = Type.Number({
  minimum: L.throttleMinutes.min,
  maximum: L.throttleMinutes.max,
  description: 'Minutes between two notifications of the same alarm by the same method',
});
const MaxPerHour = Type.Integer({
  minimum: L.maxPerHour.min,
  maximum: L.maxPerHour.max,
  description: 'Notifications of the same alarm by the same method in any hour',
});

/** The notification settings as the API shows them: secrets are null, `*_set` says whether one is stored. */
export const NotificationConfig = Type.Object({
  websocket_enabled: Type.Boolean({ description: 'Alarm events reach WebSocket clients (always on)' }),
  email_enabled: Type.Boolean(),
  smtp_server: Nullable(Type.String()),
  smtp_port: Type.Integer(),
  smtp_username: Nullable(Type.String()),
  smtp_password: Type.Null({ description: 'Never returned; see smtp_password_set' }),
  smtp_password_set: Type.Boolean(),
  smtp_use_tls: Type.Boolean({
    description: 'Require TLS: STARTTLS on 587/25, implicit TLS on 465. Off: plain SMTP (a local relay)',
  }),
  email_from: Nullable(Type.String()),
  email_recipients: Type.Array(Type.String()),
  webhook_enabled: Type.Boolean(),
  webhook_url: Nullable(Type.String()),
  webhook_auth_token: Type.Null({ description: 'Never returned; see webhook_auth_token_set' }),
  webhook_auth_token_set: Type.Boolean(),
  throttle_minutes: Type.Number(),
  max_notifications_per_hour: Type.Integer(),
  updated_at: Nullable(Type.String({ format: 'date-time' })),
});
export type NotificationConfig = Static<typeof NotificationConfig>;

/**
 * POST /api/alarms/notifications/configure: any part of the settings. A field left out keeps its stored value (a
 * secret too); null clears a text field or a secret. Enabling a method needs what it sends with (e-mail: server,
 * sender and at least one recipient; webhook: the URL).
 */
export const ConfigureNotificationsRequest = Type.Object(
  {
    email_enabled: Type.Optional(Type.Boolean()),
    smtp_server: Type.Optional(Nullable(SmtpHost)),
    smtp_port: Type.Optional(Port),
    smtp_username: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 256 }))),
    smtp_password: Type.Optional(Nullable(Secret)),
    smtp_use_tls: Type.Optional(Type.Boolean()),
    email_from: Type.Optional(Nullable(Email)),
    email_recipients: Type.Optional(Type.Array(Email, { maxItems: L.maxRecipients })),
    webhook_enabled: Type.Optional(Type.Boolean()),
    webhook_url: Type.Optional(Nullable(HttpUrl)),
    webhook_auth_token: Type.Optional(Nullable(Secret)),
    throttle_minutes: Type.Optional(ThrottleMinutes),
    max_notifications_per_hour: Type.Optional(MaxPerHour),
    // LabLink 1.x's SMS and Slack settings, accepted so its clients can send their whole config, and ignored:
    // only webhook and e-mail deliver outside LabLink, so they can be off only.
    sms_enabled: Type.Optional(Type.Literal(false, { description: 'Accepted as false only (no SMS)' })),
    slack_enabled: Type.Optional(
      Type.Literal(false, { description: 'Accepted as false only (use webhook_url)' }),
    ),
    sms_provider: Type.Optional(Nullable(Type.String({ maxLength: 32 }))),
    sms_api_key: Type.Optional(Nullable(Type.String({ maxLength: L.maxSecretLength }))),
    sms_api_secret: Type.Optional(Nullable(Type.String({ maxLength: L.maxSecretLength }))),
    sms_from_number: Type.Optional(Nullable(Type.String({ maxLength: 32 }))),
    sms_recipients: Type.Optional(Type.Array(Type.String({ maxLength: 32 }), { maxItems: L.maxRecipients })),
    slack_webhook_url: Type.Optional(Nullable(Type.String({ maxLength: L.maxUrlLength }))),
    websocket_enabled: Type.Optional(
      Type.Boolean({
        description:
          'Accepted for LabLink 1.x clients: true only. Alarm events always reach WebSocket clients; a client chooses what it subscribes to',
      }),
    ),
  },
  { additionalProperties: false },
);
export type ConfigureNotificationsRequest = Static<typeof ConfigureNotificationsRequest>;

/** GET /api/alarms/notifications/config and the answer of configure. */
export const NotificationConfigResponse = Type.Object({
  success: Type.Literal(true),
  message: Type.Optional(Type.String()),
  config: NotificationConfig,
});
export type NotificationConfigResponse = Static<typeof NotificationConfigResponse>;

/** POST /api/alarms/notifications/test: one test notification by one method, now, unthrottled, not retried. */
export const TestNotificationRequest = Type.Object(
  { method: literals(DELIVERY_METHODS) },
  { additionalProperties: false },
);
export type TestNotificationRequest = Static<typeof TestNotificationRequest>;

export const TestNotificationResult = Type.Object({
  success: Type.Boolean({ description: 'Whether the test notification was delivered' }),
  method: Type.String(),
  delivered: Type.Boolean(),
  error: Nullable(Type.String({ description: 'Why it was not delivered' })),
  duration_ms: Type.Number(),
});
export type TestNotificationResult = Static<typeof TestNotificationResult>;

/**
 * What happened to one notification by one method:
 * - `delivered`: the webhook answered 2xx, or the SMTP server accepted the mail;
 * - `retrying`: this attempt failed and another follows;
 * - `failed`: the last attempt failed; the notification is given up;
 * - `throttled`: not sent, because the alarm was notified by this method too recently or too often.
 */
export const DELIVERY_OUTCOMES = ['delivered', 'retrying', 'failed', 'throttled'] as const;
export type DeliveryOutcome = (typeof DELIVERY_OUTCOMES)[number];

export const NotificationDelivery = Type.Object({
  id: Type.Integer(),
  at: Type.String({ format: 'date-time' }),
  method: Type.String(),
  kind: Type.String({ description: 'raised, cleared or test' }),
  alarm_id: Nullable(Type.String()),
  event_id: Nullable(Type.String()),
  outcome: Type.String({ description: DELIVERY_OUTCOMES.join(', ') }),
  ok: Type.Boolean(),
  attempt: Type.Integer({ description: 'Attempt number (1 = first); 0 for a throttled notification' }),
  error: Nullable(Type.String()),
});
export type NotificationDelivery = Static<typeof NotificationDelivery>;

/** GET /api/alarms/notifications/history */
export const NotificationHistoryQuery = Type.Object({
  limit: Type.Optional(
    Type.Integer({
      minimum: L.historyLimit.min,
      maximum: L.historyLimit.max,
      default: L.historyLimit.default,
    }),
  ),
  method: Type.Optional(literals(DELIVERY_METHODS)),
  alarm_id: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  outcome: Type.Optional(literals(DELIVERY_OUTCOMES)),
});
export type NotificationHistoryQuery = Static<typeof NotificationHistoryQuery>;

export const NotificationHistory = Type.Object({
  success: Type.Literal(true),
  count: Type.Integer(),
  deliveries: Type.Array(NotificationDelivery, { description: 'Newest first' }),
  totals: Type.Object(
    {
      delivered: Type.Integer(),
      failed: Type.Integer(),
      throttled: Type.Integer(),
    },
    {
      description:
        'Since this server started: notifications delivered, given up and suppressed by throttling',
    },
  ),
});
export type NotificationHistory = Static<typeof NotificationHistory>;
