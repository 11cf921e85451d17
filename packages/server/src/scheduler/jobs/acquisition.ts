// `acquisition`: parameters are an acquisition's settings (the body of POST /api/acquisition/session/create;
// `equipment_id` defaults to the job's). The job creates the session, starts it, and completes when it stops, with
// its id, sample count and statistics. It must end by itself — a `duration_seconds`, or `num_samples` in
// single_shot/triggered mode — or be bounded by `max_duration_s`, after which the job stops it (required when it
// waits for a level, edge or external trigger, which may never come). A cancelled run stops its session.

import { ACQUISITION_LIMITS, CreateAcquisitionRequest } from '@lablink/protocol/rest';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { resolveSources } from '../../acquisition/sources.js';
import { DomainError } from '../../errors.js';
import { nonFinitePath } from '../../validation.js';
import type { JobServices, JobType, ScheduledJob } from '../types.js';
import { abortError, invalid, jsonSafe, num, type Params, paramsOf, sleep } from './common.js';

/** How often a running session's state is looked at. */
const POLL_MS = 200;

/** The request validator, compiled on first use rather than at start (docs/performance.md). */
let compiled: ValidateFunction | undefined;
function requestValidator(): ValidateFunction {
  if (!compiled) {
    const ajv = new Ajv({ coerceTypes: false, useDefaults: false, allErrors: false, strict: false });
    addFormats.default(ajv);
    compiled = ajv.compile(CreateAcquisitionRequest as object);
  }
  return compiled;
}

/** A JSON pointer (`/trigger_config/level`, `/sources/0/field`) as a field path (`trigger_config.level`, `sources[0].field`). */
const fieldOf = (pointer: string) =>
  pointer
    .split('/')
    .filter(Boolean)
    .map((part, i) => (/^\d+$/.test(part) ? `[${part}]` : i === 0 ? part : `.${part}`))
    .join('');

interface Plan {
  request: CreateAcquisitionRequest;
  maxDuration: number | undefined;
}

function plan(job: Pick<ScheduledJob, 'equipment_id' | 'parameters' | 'name'>, services: JobServices): Plan {
  const { max_duration_s, ...rest } = paramsOf(job);
  const maxDuration =
    max_duration_s === undefined || max_duration_s === null
      ? undefined
      : num(max_duration_s, 'parameters.max_duration_s', {
          min: 0,
          exclusiveMin: true,
          max: ACQUISITION_LIMITS.maxDurationSeconds,
        });
  const bad = nonFinitePath(rest);
  if (bad !== undefined) {
    const field = `parameters.${fieldOf(bad)}`;
    throw invalid(field, `${field} must be a finite number`);
  }
  const checkRequest = requestValidator();
  if (!checkRequest(rest)) {
    const e = checkRequest.errors?.[0];
    const at = fieldOf(
      e?.keyword === 'required' ? `${e.instancePath}/${e.params.missingProperty}` : (e?.instancePath ?? ''),
    );
    const field = at ? `parameters.${at}` : 'parameters';
    throw invalid(
      field,
      `${field} ${e?.message ?? 'is not valid'} (parameters are an acquisition's settings)`,
    );
  }
  const request = { ...rest } as CreateAcquisitionRequest & Params;
  if (!request.sources?.length && request.equipment_id === undefined && job.equipment_id) {
    request.equipment_id = job.equipment_id;
  }
  try {
    resolveSources((id) => services.equipment.find(id), request);
  } catch (err) {
    if (err instanceof DomainError) {
      const field =
        err.field === 'equipment_id' && rest.equipment_id === undefined
          ? 'equipment_id'
          : `parameters.${err.field ?? ''}`;
      throw new DomainError(err.code, err.detail, field.replace(/\.$/, ''), err.extra);
    }
    throw err;
  }
  const mode = request.mode ?? 'continuous';
  const trigger = request.trigger_config?.trigger_type ?? 'immediate';
  const ends =
    request.duration_seconds !== undefined || (mode !== 'continuous' && request.num_samples !== undefined);
  if (!ends && maxDuration === undefined) {
    throw invalid(
      'parameters.max_duration_s',
      'this acquisition never ends by itself (continuous, no duration_seconds): give duration_seconds, num_samples in single_shot mode, or max_duration_s',
    );
  }
  if ((trigger === 'level' || trigger === 'edge' || trigger === 'external') && maxDuration === undefined) {
    throw invalid(
      'parameters.max_duration_s',
      `a ${trigger} trigger may never come: give max_duration_s, after which the job stops the session`,
    );
  }
  return { request, maxDuration };
}

export const acquisitionJob: JobType = {
  name: 'acquisition',
  // The sources may name their instruments; the job's is the default.
  needsEquipment: false,
  validate(job, services) {
    plan({ ...job, name: '' }, services);
  },
  async run(ctx) {
    const { job, services, signal } = ctx;
    const { request, maxDuration } = plan(job, services);
    const acquisitions = services.acquisitions;
    let session: ReturnType<typeof acquisitions.create>;
    try {
      // The session says which run made it, when its metadata has room.
      const metadata = { ...(request.metadata ?? {}) };
      if (Object.keys(metadata).length <= 30) {
        metadata.scheduled_job_id ??= job.job_id;
        metadata.job_execution_id ??= ctx.executionId;
      }
      session = acquisitions.create({ name: `${job.name} (${ctx.executionId})`, ...request, metadata });
    } catch (err) {
      if (err instanceof DomainError && err.field) {
        throw new DomainError(err.code, err.detail, `parameters.${err.field}`, err.extra);
      }
      throw err;
    }
    const id = session.acquisition_id;
    ctx.log(`acquisition ${id} created`);
    const started = acquisitions.start(id);
    if (!started.success)
      throw new DomainError('conflict', `acquisition ${id} did not start: ${started.message}`);
    ctx.log(
      `acquisition ${id} started${maxDuration !== undefined ? ` (stopped after ${maxDuration} s at most)` : ''}`,
    );
    const deadline = maxDuration !== undefined ? Date.now() + maxDuration * 1000 : Number.POSITIVE_INFINITY;
    try {
      for (;;) {
        const s = acquisitions.find(id);
        if (!s) throw new DomainError('not_found', `acquisition ${id} was deleted while the job ran`);
        if (s.state === 'stopped' || s.state === 'error') break;
        if (Date.now() >= deadline) {
          acquisitions.stop(id, `max_duration_s (${maxDuration} s) reached`);
          break;
        }
        // In percent: of the samples asked for, else of the time the session may take.
        const bound = request.duration_seconds ?? maxDuration;
        const fraction =
          request.num_samples !== undefined && request.mode !== 'continuous'
            ? s.total / request.num_samples
            : bound !== undefined && s.started_at
              ? (Date.now() - Date.parse(s.started_at)) / (bound * 1000)
              : 0;
        ctx.progress(Math.min(99, Math.floor(fraction * 100)), 100, `${s.state}: ${s.total} samples`);
        await sleep(Math.min(POLL_MS, Math.max(1, deadline - Date.now())), signal);
      }
    } catch (err) {
      if (signal.aborted && acquisitions.find(id)) {
        acquisitions.stop(id, 'scheduled job cancelled');
        ctx.log(`acquisition ${id} stopped: the run was cancelled`);
        throw abortError(signal);
      }
      throw err;
    }
    const status = acquisitions.status(id);
    ctx.log(`acquisition ${id} ${status.state}: ${status.stop_reason ?? ''} (${session.total} samples)`);
    if (status.state === 'error') {
      throw new DomainError(
        'instrument_error',
        `acquisition ${id} ended in error: ${status.stop_reason ?? 'unknown'}`,
      );
    }
    const stats = status.stats as Params;
    return {
      verdict: 'pass',
      result: jsonSafe({
        acquisition_id: id,
        state: status.state,
        stop_reason: status.stop_reason,
        samples: session.total,
        channels: status.channels,
        started_at: status.started_at,
        stopped_at: status.stopped_at,
        stats: {
          duration_seconds: stats.duration_seconds,
          actual_sample_rate: stats.actual_sample_rate,
          missed_samples: stats.missed_samples,
          total_blocks: stats.total_blocks,
          min_values: stats.min_values,
          max_values: stats.max_values,
          mean_values: stats.mean_values,
        },
      }),
    };
  },
};
