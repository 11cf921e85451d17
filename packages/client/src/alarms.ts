// Shapes of the alarm REST API (docs/alarms.md): definitions, their events (one occurrence each, with its
// ISA-18.2 state), history, statistics with the alarm-load figures, and the reading fields an alarm can watch.
// Defined once in @lablink/protocol/rest; the names here are the SDK's for its methods' arguments and results.

import type {
  AlarmEventPage,
  AlarmEventsQuery,
  AlarmParameters,
  AlarmSeverity,
  AlarmStatistics,
  AlarmType,
  CheckResponse,
  CreateAlarmRequest,
  UpdateAlarmRequest,
} from '@lablink/protocol/rest';

export type {
  AlarmCondition,
  AlarmConfig,
  AlarmEvent,
  AlarmLoad,
  AlarmNotificationMethod,
  AlarmParameters,
  AlarmSeverity,
  AlarmState,
  AlarmStatistics,
  AlarmType,
} from '@lablink/protocol/rest';

/** The writable fields of a definition: POST /api/alarms/create needs `name` and `parameter`. */
export type AlarmDefinition = CreateAlarmRequest;
/** PUT /api/alarms/{alarm_id}: any writable fields. */
export type AlarmUpdate = UpdateAlarmRequest;
/** GET /api/alarms/events: filters (state, severity, instrument, alarm, time range) and paging. */
export type AlarmHistoryQuery = AlarmEventsQuery;
/** One page of the history; `total` counts every match. */
export type AlarmHistoryPage = AlarmEventPage;
/** POST /api/alarms/check. */
export type AlarmCheckResult = CheckResponse;
/** An alarm and how often it was raised (bad actors, chattering, most frequent). */
export type AlarmCount = AlarmStatistics['most_frequent'][number];
/** A reading field an alarm can watch on one instrument. */
export type AlarmParameter = AlarmParameters['parameters'][number];

/** GET /api/alarms filters. */
export interface AlarmListQuery {
  equipment_id?: string;
  enabled?: boolean;
  alarm_type?: AlarmType;
  severity?: AlarmSeverity;
}
