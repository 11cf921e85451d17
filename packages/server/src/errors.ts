// Domain errors: what domain code (safety, locks, profiles, the equipment service and its command path, the readings
// pipeline) throws when it refuses or fails. A domain error is transport-neutral: a stable `code` from the table
// below, a `detail` in words, the offending `field` when there is one, and `extra` facts a client can act on (a
// limit's value, the lock's holder …). It knows nothing of HTTP or WebSocket: the edges turn it into an HTTP status
// (HTTP_STATUS in http-errors.ts) or a WebSocket error code (WS_ERROR_CODES in realtime/errors.ts).

/**
 * What kind of refusal a code is. Code that handles errors generically reads the kind, never a status:
 * - `invalid`: a value the caller gave is wrong or out of bounds; `field` names it.
 * - `not_found`: the thing named does not exist.
 * - `unsupported`: the instrument cannot do that at all.
 * - `conflict`: the present state refuses it (a lock, the emergency stop, a name taken, a newer setpoint).
 * - `forbidden`: the caller may not do that, whatever the state.
 * - `busy`: too many at once; try again later.
 * - `unavailable`: the instrument is not connected right now.
 * - `instrument`: the instrument failed or did not answer.
 * - `internal`: a bug on the server.
 */
export type ErrorKind =
  | 'invalid'
  | 'not_found'
  | 'unsupported'
  | 'conflict'
  | 'forbidden'
  | 'busy'
  | 'unavailable'
  | 'instrument'
  | 'internal';

/** Every code a domain error can carry, with its kind. A code is a stable string clients may switch on. */
export const DOMAIN_ERRORS = {
  /** A field's value is wrong (a channel the instrument lacks, a type that does not match …). */
  invalid_request: 'invalid',
  /** A field of a readings claim names what the instrument lacks (WebSocket clients know it as invalid_field). */
  invalid_field: 'invalid',
  /** The VISA resource string does not parse or names an interface LabLink cannot open. */
  invalid_resource: 'invalid',
  /** A driver refused a command's parameter. */
  invalid_parameter: 'invalid',
  /** The driver has no command of that name. */
  unknown_command: 'invalid',
  /** Limits that contradict each other or the model (min above max, a slew rate too slow). */
  invalid_limits: 'invalid',
  /** An alarm definition that is well formed but cannot be (an unknown instrument or reading field, a missing threshold). */
  invalid_definition: 'invalid',
  /** A setpoint or limit beyond a limit or rating; extra: limit, limit_value, attempted, channel. */
  limit_exceeded: 'invalid',
  not_found: 'not_found',
  /** The readings pipeline was asked for an instrument it has never known. */
  unknown_equipment: 'not_found',
  /** The instrument has no such capability (readings from an oscilloscope). */
  unsupported: 'unsupported',
  /** The instrument cannot serve this reading kind. */
  unsupported_stream: 'unsupported',
  /** A name already taken. */
  conflict: 'conflict',
  /** Another session holds the instrument's lock; extra names the holder. */
  locked: 'conflict',
  emergency_stop_active: 'conflict',
  /** A ramp replaced by a newer setpoint of the same quantity and channel. */
  ramp_superseded: 'conflict',
  /** An alarm occurrence whose state does not allow that step (acknowledging a cleared alarm …); extra: state. */
  invalid_transition: 'conflict',
  /** A recorded session holds too few samples for that statistic (an FFT of 3 samples); extra: num_samples. */
  insufficient_data: 'conflict',
  not_lock_owner: 'forbidden',
  /** Raw SCPI that could bypass the safety limits of a supply or load. */
  raw_write_refused: 'forbidden',
  /** A Host header that does not name this server (DNS rebinding), refused at the HTTP edge. */
  host_not_allowed: 'forbidden',
  /** A state change asked by another site's page, refused at the HTTP edge. */
  cross_origin_refused: 'forbidden',
  /** No valid session cookie or API token, and the server is not in open mode. */
  unauthenticated: 'forbidden',
  /** The caller's role is below the one the route needs; extra: required_role, role. */
  forbidden: 'forbidden',
  /** A token in the URL's query (it would end up in logs and browser history): send it as a Bearer header. */
  token_in_url: 'invalid',
  /** Too many failed logins for this username or from this address; extra: retry_after (seconds). */
  rate_limited: 'busy',
  queue_full: 'busy',
  too_many_sessions: 'busy',
  not_connected: 'unavailable',
  instrument_error: 'instrument',
  instrument_io: 'instrument',
  instrument_timeout: 'instrument',
  internal: 'internal',
} as const satisfies Record<string, ErrorKind>;

export type DomainErrorCode = keyof typeof DOMAIN_ERRORS;

/** A refusal or failure in domain code: a code, a detail, the offending field, and facts a client can act on. */
export class DomainError extends Error {
  constructor(
    readonly code: DomainErrorCode,
    detail: string,
    readonly field?: string,
    readonly extra?: Record<string, unknown>,
  ) {
    super(detail);
    this.name = 'DomainError';
  }

  /** What went wrong, in words (the error's message). */
  get detail(): string {
    return this.message;
  }

  get kind(): ErrorKind {
    return DOMAIN_ERRORS[this.code];
  }
}

export const notFound = (what: string) => new DomainError('not_found', `${what} not found`);
export const invalidRequest = (field: string, detail: string) =>
  new DomainError('invalid_request', detail, field);
