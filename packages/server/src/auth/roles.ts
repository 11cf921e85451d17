// The role table: the least role each REST route and each WebSocket message needs, in one place a reviewer can
// read (docs/security.md). Roles are ordered viewer < operator < admin. `public` needs no sign-in at all. The
// enforcement hook (auth/hook.ts) and the WebSocket dispatcher read this table; test/auth-roles.test.ts fails when
// a registered route or a client message type has no line here. A route under /api missing from it would need
// admin (closed by default).

import type { ClientMessageMap } from '@lablink/protocol';
import { ROLES, type Role } from '@lablink/protocol/rest';

export { ROLES, type Role };
export type Access = Role | 'public';

/** Reads are viewer; control, acquisitions, jobs, alarm handling operator; configuration and users admin. */
export const ROUTE_ROLES = {
  // ---------------------------------------------------------------------------------------------- system, auth
  'GET /health': 'public',
  'GET /api': 'viewer',
  'GET /api/auth/status': 'public',
  'POST /api/auth/login': 'public',
  'POST /api/auth/logout': 'viewer',
  'GET /api/auth/me': 'viewer',
  'GET /api/auth/users': 'admin',
  'POST /api/auth/users': 'admin',
  'PATCH /api/auth/users/{username}': 'admin',
  'DELETE /api/auth/users/{username}': 'admin',
  'GET /api/auth/tokens': 'admin',
  'POST /api/auth/tokens': 'admin',
  'DELETE /api/auth/tokens/{id}': 'admin',
  'GET /api/audit': 'admin',
  // The WebSocket authenticates itself (cookie at the upgrade or a token in hello), and checks each message below.
  'GET /ws': 'public',
  // Client addresses of every connection.
  'GET /api/realtime/stats': 'admin',

  // ------------------------------------------------------------------------------------------------ equipment
  'GET /api/equipment/list': 'viewer',
  'GET /api/equipment/{equipment_id}': 'viewer',
  'GET /api/equipment/{equipment_id}/commands': 'viewer',
  'GET /api/equipment/{equipment_id}/readings': 'viewer',
  'GET /api/equipment/{equipment_id}/status': 'viewer',
  'PATCH /api/equipment/{equipment_id}': 'operator',
  'POST /api/equipment/{equipment_id}/command': 'operator',
  'POST /api/equipment/{equipment_id}/scpi': 'operator',
  'POST /api/equipment/connect': 'operator',
  'POST /api/equipment/disconnect/{equipment_id}': 'operator',
  'POST /api/equipment/discover': 'operator',

  // --------------------------------------------------------------------------------------------------- safety
  // Anyone signed in may stop everything; clearing the stop is control.
  'POST /api/safety/emergency-stop/activate': 'viewer',
  'POST /api/safety/emergency-stop/deactivate': 'operator',
  'GET /api/safety/emergency-stop/status': 'viewer',
  'GET /api/safety/events': 'viewer',
  'GET /api/safety/events/{equipment_id}': 'viewer',
  'GET /api/safety/limits/{equipment_id}': 'viewer',
  'PUT /api/safety/limits/{equipment_id}': 'admin',
  'GET /api/safety/status': 'viewer',

  // ---------------------------------------------------------------------------------------------------- locks
  // Force-release (POST /api/locks/release with force) is admin: checked in the route, the body decides.
  'POST /api/locks/acquire': 'operator',
  'POST /api/locks/release': 'operator',
  'POST /api/locks/activity/{equipment_id}': 'operator',
  'POST /api/locks/cleanup': 'admin',
  'GET /api/locks/all': 'viewer',
  'GET /api/locks/events/{equipment_id}': 'viewer',
  'GET /api/locks/queue/{equipment_id}': 'viewer',
  'GET /api/locks/status/{equipment_id}': 'viewer',
  'GET /api/locks/sessions': 'viewer',
  'POST /api/locks/sessions/create': 'operator',
  'GET /api/locks/sessions/{session_id}': 'viewer',
  'DELETE /api/locks/sessions/{session_id}': 'operator',
  'POST /api/locks/sessions/{session_id}/activity': 'operator',
  'GET /api/locks/sessions/{session_id}/events': 'viewer',
  'GET /api/locks/sessions/{session_id}/locks': 'viewer',

  // ------------------------------------------------------------------------------------------------- profiles
  'GET /api/profiles/list': 'viewer',
  'GET /api/profiles/{name}': 'viewer',
  'POST /api/profiles/create': 'operator',
  'PUT /api/profiles/{name}': 'operator',
  'DELETE /api/profiles/{name}': 'operator',
  'POST /api/profiles/{name}/apply/{equipment_id}': 'operator',

  // --------------------------------------------------------------------------------------------------- alarms
  'GET /api/alarms': 'viewer',
  'GET /api/alarms/{alarm_id}': 'viewer',
  'GET /api/alarms/events': 'viewer',
  'GET /api/alarms/events/{event_id}': 'viewer',
  'GET /api/alarms/events/active': 'viewer',
  'GET /api/alarms/parameters/{equipment_id}': 'viewer',
  'GET /api/alarms/statistics': 'viewer',
  'POST /api/alarms/create': 'operator',
  'PUT /api/alarms/{alarm_id}': 'operator',
  'DELETE /api/alarms/{alarm_id}': 'operator',
  'POST /api/alarms/{alarm_id}/enable': 'operator',
  'POST /api/alarms/{alarm_id}/disable': 'operator',
  'POST /api/alarms/{alarm_id}/clear': 'operator',
  'POST /api/alarms/check': 'operator',
  'POST /api/alarms/raise': 'operator',
  'POST /api/alarms/events/acknowledge': 'operator',
  'POST /api/alarms/events/{event_id}/shelve': 'operator',
  'POST /api/alarms/events/{event_id}/unshelve': 'operator',
  // Notification settings hold addresses and webhook URLs; testing them sends mail.
  'GET /api/alarms/notifications/config': 'admin',
  'POST /api/alarms/notifications/configure': 'admin',
  'POST /api/alarms/notifications/test': 'admin',
  'GET /api/alarms/notifications/history': 'viewer',

  // ---------------------------------------------------------------------------------------------- acquisition
  'GET /api/acquisition/sessions': 'viewer',
  'POST /api/acquisition/session/create': 'operator',
  'DELETE /api/acquisition/session/{acquisition_id}': 'operator',
  'GET /api/acquisition/session/{acquisition_id}/data': 'viewer',
  'GET /api/acquisition/session/{acquisition_id}/status': 'viewer',
  'GET /api/acquisition/session/{acquisition_id}/stats/{kind}': 'viewer',
  'POST /api/acquisition/session/{acquisition_id}/start': 'operator',
  'POST /api/acquisition/session/{acquisition_id}/stop': 'operator',
  'POST /api/acquisition/session/{acquisition_id}/pause': 'operator',
  'POST /api/acquisition/session/{acquisition_id}/resume': 'operator',
  'POST /api/acquisition/session/{acquisition_id}/trigger': 'operator',
  'GET /api/acquisition/sync/groups': 'viewer',
  'POST /api/acquisition/sync/group/create': 'operator',
  'DELETE /api/acquisition/sync/group/{group_id}': 'operator',
  'POST /api/acquisition/sync/group/{group_id}/add': 'operator',
  'POST /api/acquisition/sync/group/{group_id}/{action}': 'operator',
  'GET /api/acquisition/sync/group/{group_id}/data': 'viewer',
  'GET /api/acquisition/sync/group/{group_id}/status': 'viewer',
  // Exporting recorded data is reading it (the file is written in the server's export area).
  'POST /api/acquisition/export': 'viewer',
  'GET /api/acquisition/exports/{export_id}': 'viewer',
  'GET /api/acquisition/exports/files/{filename}': 'viewer',

  // ------------------------------------------------------------------------------------------------ scheduler
  'GET /api/scheduler/executions': 'viewer',
  'GET /api/scheduler/executions/{execution_id}': 'viewer',
  'GET /api/scheduler/jobs': 'viewer',
  'GET /api/scheduler/jobs/{job_id}': 'viewer',
  'GET /api/scheduler/jobs/{job_id}/history': 'viewer',
  'GET /api/scheduler/running': 'viewer',
  'GET /api/scheduler/statistics': 'viewer',
  // Computes the next fire times of a trigger; changes nothing.
  'POST /api/scheduler/triggers/preview': 'viewer',
  'POST /api/scheduler/jobs/create': 'operator',
  'PUT /api/scheduler/jobs/{job_id}': 'operator',
  'DELETE /api/scheduler/jobs/{job_id}': 'operator',
  'POST /api/scheduler/jobs/{job_id}/pause': 'operator',
  'POST /api/scheduler/jobs/{job_id}/resume': 'operator',
  'POST /api/scheduler/jobs/{job_id}/run': 'operator',

  // ------------------------------------------------------------------------------------------- hub (docs/mqtt.md)
  // Each bench checks a forwarded command again, against the token the hub sends (mqtt.token).
  'GET /api/hub/benches': 'viewer',
  'GET /api/hub/benches/{bench}': 'viewer',
  'GET /api/hub/benches/{bench}/equipment': 'viewer',
  'GET /api/hub/benches/{bench}/alarms': 'viewer',
  'GET /api/hub/benches/{bench}/jobs': 'viewer',
  'POST /api/hub/benches/{bench}/equipment/{equipment_id}/command': 'operator',
  'POST /api/hub/benches/{bench}/alarms/acknowledge': 'operator',
  // As on a bench itself: anyone signed in may stop it.
  'POST /api/hub/benches/{bench}/emergency-stop': 'viewer',
} as const satisfies Record<string, Access>;

/** Every WebSocket message a client may send. Streams and events are reading; control goes through REST. */
export const WS_ROLES = {
  // hello may carry the token that signs the connection in (connection.ts), so it is answered before sign-in.
  hello: 'public',
  ping: 'viewer',
  subscribe: 'viewer',
  unsubscribe: 'viewer',
  start_stream: 'viewer',
  stop_stream: 'viewer',
  start_acquisition_stream: 'viewer',
  stop_acquisition_stream: 'viewer',
} as const satisfies Record<keyof ClientMessageMap, Access>;

/** Paths served to anyone and outside the table: the web app's files and the API docs (/docs). */
export function isPublicPath(url: string): boolean {
  return !(url === '/api' || url.startsWith('/api/') || url === '/ws');
}

/** `POST /api/x/{id}` for a Fastify route (`/api/x/:id`), as in /docs. HEAD is answered by the GET route. */
export function routeKey(method: string, url: string): string {
  const verb = method === 'HEAD' ? 'GET' : method;
  return `${verb} ${url.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`;
}

/**
 * The least role a route needs; null for one outside the API (web app, /docs). A route of the API missing from the
 * table needs admin, so forgetting a line closes a route rather than opening it.
 */
export function routeAccess(method: string, url: string): Access | null {
  if (isPublicPath(url)) return null;
  return (ROUTE_ROLES as Record<string, Access>)[routeKey(method, url)] ?? 'admin';
}

/** Whether `role` may do what needs `access`. */
export function allows(role: Role | undefined, access: Access): boolean {
  if (access === 'public') return true;
  if (role === undefined) return false;
  return ROLES.indexOf(role) >= ROLES.indexOf(access);
}
