// Alarm notification settings, a test notification and the delivery history (src/alarms/notify.ts). The paths are
// the original LabLink's (/api/alarms/notifications/configure and /config); the API never returns a secret.

import {
  ConfigureNotificationsRequest,
  NotificationConfigResponse,
  NotificationHistory,
  NotificationHistoryQuery,
  TestNotificationRequest,
  TestNotificationResult,
} from '@lablink/protocol/rest';
import type { AppInstance } from '../app.js';
import { ErrorResponses } from './schemas.js';

const tags = ['alarms'];

export async function alarmNotificationRoutes(app: AppInstance): Promise<void> {
  const { notifications } = app.services;

  app.get(
    '/api/alarms/notifications/config',
    {
      schema: {
        tags,
        summary: 'Notification settings (secrets are never returned)',
        description:
          'smtp_password and webhook_auth_token are always null; smtp_password_set and webhook_auth_token_set say whether one is stored.',
        response: { 200: NotificationConfigResponse },
      },
    },
    async () => ({ success: true as const, config: notifications.config() }),
  );

  app.post(
    '/api/alarms/notifications/configure',
    {
      schema: {
        tags,
        summary: 'Change notification settings',
        description:
          'Only the fields given change; a field left out keeps its value (a secret too), null clears it. Enabling e-mail needs smtp_server, email_from and at least one recipient; enabling the webhook needs webhook_url. A refused request (400 naming the field) changes nothing.',
        body: ConfigureNotificationsRequest,
        response: { 200: NotificationConfigResponse, ...ErrorResponses },
      },
    },
    async (request) => ({
      success: true as const,
      message: 'Notification settings updated',
      config: notifications.configure(request.body),
    }),
  );

  app.post(
    '/api/alarms/notifications/test',
    {
      schema: {
        tags,
        summary: 'Send a test notification now and report whether it was delivered',
        description:
          'One attempt, unthrottled, with the stored settings (the method need not be enabled yet). 409 names the setting still missing. The outcome is also in the history.',
        body: TestNotificationRequest,
        response: { 200: TestNotificationResult, ...ErrorResponses },
      },
    },
    async (request) => notifications.test(request.body.method),
  );

  app.get(
    '/api/alarms/notifications/history',
    {
      schema: {
        tags,
        summary: 'What happened to each notification, newest first',
        description:
          'One record per attempt: delivered, retrying (failed, another attempt follows), failed (given up), throttled (not sent: the alarm was notified by that method too recently or too often).',
        querystring: NotificationHistoryQuery,
        response: { 200: NotificationHistory, ...ErrorResponses },
      },
    },
    async (request) => {
      const deliveries = notifications.history(request.query);
      return {
        success: true as const,
        count: deliveries.length,
        deliveries,
        totals: notifications.totals(),
      };
    },
  );
}
