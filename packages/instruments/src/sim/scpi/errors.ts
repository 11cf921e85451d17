// SCPI-99 error numbers the simulators raise. A handler throws a ScpiError; the engine turns it into an entry of
// the instrument's error queue (and the matching Standard Event Status bit), exactly as a real instrument does.

export const SCPI_MESSAGES: Readonly<Record<number, string>> = {
  0: 'No error',
  [-102]: 'Syntax error',
  [-104]: 'Data type error',
  [-108]: 'Parameter not allowed',
  [-109]: 'Missing parameter',
  [-113]: 'Undefined header',
  [-114]: 'Header suffix out of range',
  [-131]: 'Invalid suffix',
  [-221]: 'Settings conflict',
  [-222]: 'Data out of range',
  [-224]: 'Illegal parameter value',
  [-230]: 'Data corrupt or stale',
  [-350]: 'Queue overflow',
  [-363]: 'Input buffer overrun',
};

export class ScpiError extends Error {
  constructor(
    readonly code: number,
    message = SCPI_MESSAGES[code] ?? 'Device-specific error',
  ) {
    super(message);
    this.name = 'ScpiError';
  }
}
