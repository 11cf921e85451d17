// The six job types, by name: what the scheduler's engine runs when a job fires. Each checks its parameters when
// the job is created or edited (validate) and runs through the one command path (locks, emergency stop, limits).

import type { JobTypes } from '../types.js';
import { acquisitionJob } from './acquisition.js';
import { commandJob } from './command.js';
import { equipmentTestJob } from './equipment-test.js';
import { measurementJob } from './measurement.js';
import { scriptJob } from './script.js';
import { stateCaptureJob } from './state-capture.js';

export const JOB_TYPES: JobTypes = {
  acquisition: acquisitionJob,
  state_capture: stateCaptureJob,
  equipment_test: equipmentTestJob,
  measurement: measurementJob,
  command: commandJob,
  script: scriptJob,
};

export type {
  CheckStep,
  MeasureStep,
  RampStep,
  RepeatStep,
  SequenceParameters,
  SequenceStep,
  SetStep,
  WaitStep,
} from './sequence.js';
export { SEQUENCE_LIMITS, STEP_TYPES } from './sequence.js';
