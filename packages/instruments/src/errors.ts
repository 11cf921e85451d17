// Typed errors, so the server can map each to the right HTTP status or WebSocket error code without parsing text.

export class InstrumentsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A VISA resource string that does not follow the grammar. */
export class ResourceSyntaxError extends InstrumentsError {}

/** A well-formed VISA resource string whose interface LabLink cannot open (GPIB). */
export class UnsupportedInterfaceError extends InstrumentsError {}

/**
 * A serial resource (ASRL<path>::INSTR) whose path is not one a serial port can have, refused from the string
 * alone: nothing on disk is looked at, so the refusal never tells whether a file exists.
 */
export class ResourceNotAllowedError extends InstrumentsError {}

/** No reply within the command's timeout. */
export class InstrumentTimeoutError extends InstrumentsError {}

/** The connection failed or dropped. */
export class InstrumentIOError extends InstrumentsError {}

/** The instrument itself reported an error (SYST:ERR? or a malformed reply). */
export class InstrumentError extends InstrumentsError {}

/** A command parameter is missing or of the wrong type. `field` names it. */
export class ParameterError extends InstrumentsError {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** A parameter outside what the instrument is rated for. */
export class OutOfRangeError extends ParameterError {
  constructor(
    field: string,
    readonly value: number,
    readonly limit: number,
    readonly bound: 'min' | 'max',
  ) {
    super(
      field,
      `${field} ${value} is ${bound === 'max' ? 'above the maximum' : 'below the minimum'} ${limit}`,
    );
  }
}

/** The driver has no command of that name. */
export class UnknownCommandError extends InstrumentsError {
  constructor(readonly command: string) {
    super(`Unknown command: ${command}`);
  }
}
