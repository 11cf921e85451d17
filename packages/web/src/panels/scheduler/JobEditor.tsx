// Creating or editing a job: what it is and does (a test sequence built step by step, or the parameters of the
// other job types), when it runs (the trigger builder with the server's preview) and the policies (overlapping
// runs, missed runs, a limit on runs, an alarm on failure). What the server refuses shows next to the field it
// names, a step's field in its step; nothing is stored then.

import { LabLinkError } from '@lablink/client';
import { type FormEvent, useState } from 'react';
import { useNotify } from '../../app/notifications';
import { href, navigate } from '../../app/router';
import { ErrorAlert } from '../../components/ErrorAlert';
import { FormField, NumberField } from '../../components/FormField';
import { describeError } from '../../lib/errors';
import { instrumentName, useInstruments } from '../alarms/useEquipmentNames';
import {
  BREAK_ON_OPTIONS,
  CONFLICT_POLICY_OPTIONS,
  emptyForm,
  type FieldErrors,
  formFieldOf,
  formFromJob,
  type JobForm,
  jobFromForm,
  needsInstrument,
  PARAMETER_EXAMPLES,
  SCHEDULE_TYPE_OPTIONS,
} from './model';
import { StepEditor } from './StepEditor';
import { TriggerBuilder } from './TriggerBuilder';
import type { ScheduledJob } from './types';
import { useJobs } from './useJobs';

/** #/scheduler/new and #/scheduler/edit/{id}. */
export function JobEditorPage({ jobId }: { jobId: string | null }) {
  const { jobs, loaded } = useJobs();
  if (jobId === null) return <JobEditor job={null} />;
  const job = jobs.find((j) => j.job_id === jobId);
  if (!job) {
    return loaded ? (
      <p className="notice">
        There is no job {jobId} (any more). <a href={href('scheduler')}>Back to the jobs</a>
      </p>
    ) : (
      <p className="muted">Loading…</p>
    );
  }
  return <JobEditor key={job.job_id} job={job} />;
}

export function JobEditor({ job }: { job: ScheduledJob | null }) {
  const { api, upsert } = useJobs();
  const notify = useNotify();
  const instruments = useInstruments();
  const [form, setForm] = useState<JobForm>(() => (job ? formFromJob(job) : emptyForm()));
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const set = <K extends keyof JobForm>(key: K, value: JobForm[K]) => {
    setForm((f) => ({ ...f, [key]: value }));
    setErrors(({ [key]: _, ...rest }) => rest);
  };
  const setSteps = (root: 'steps' | 'cleanup', steps: JobForm['steps']) => {
    setForm((f) => ({ ...f, [root]: steps }));
    // A step's errors belong to where it was: they go when the steps change.
    setErrors((all) =>
      Object.fromEntries(Object.entries(all).filter(([k]) => k !== root && !k.startsWith(`${root}.`))),
    );
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const { request, errors: local } = jobFromForm(form, job !== null);
    setErrors(local);
    setFormError(null);
    if (Object.keys(local).length > 0) {
      setFormError('Some fields need attention (marked below).');
      return;
    }
    setBusy(true);
    try {
      const saved = job ? await api.updateJob(job.job_id, request) : await api.createJob(request);
      upsert(saved);
      notify('success', `Job ${saved.name} ${job ? 'saved' : 'created'}`);
      navigate('scheduler', 'job', saved.job_id);
    } catch (err) {
      const reason = describeError(err);
      const field = err instanceof LabLinkError ? formFieldOf(err.field, form.schedule_type) : '';
      if (field) setErrors({ [field]: reason });
      else setFormError(reason);
      notify('error', `Job not ${job ? 'saved' : 'created'}: ${reason}`);
    } finally {
      setBusy(false);
    }
  };

  const script = form.schedule_type === 'script';
  const title = job ? `Edit ${job.name}` : 'New job';
  return (
    <form className="alarm-editor job-editor card" onSubmit={submit} aria-label={title} noValidate>
      <h3>{title}</h3>
      <fieldset>
        <legend>The job</legend>
        <div className="form-grid">
          <FormField label="Name" error={errors.name}>
            {(id, invalid) => (
              <input
                id={id}
                value={form.name}
                maxLength={100}
                aria-invalid={invalid}
                onChange={(e) => set('name', e.target.value)}
              />
            )}
          </FormField>
          <FormField label="Job type" error={errors.schedule_type}>
            {(id, invalid) => (
              <select
                id={id}
                value={form.schedule_type}
                aria-invalid={invalid}
                onChange={(e) => set('schedule_type', e.target.value as JobForm['schedule_type'])}
              >
                {SCHEDULE_TYPE_OPTIONS.map((o) => (
                  <option key={o.value} value={o.value}>
                    {o.label}
                  </option>
                ))}
              </select>
            )}
          </FormField>
          <FormField label="Instrument" error={errors.equipment_id}>
            {(id, invalid) => (
              <select
                id={id}
                value={form.equipment_id}
                aria-invalid={invalid}
                onChange={(e) => set('equipment_id', e.target.value)}
              >
                <option value="">
                  {needsInstrument(form.schedule_type)
                    ? 'Choose an instrument…'
                    : 'None (each step names its own)'}
                </option>
                {instruments.list.map((i) => (
                  <option key={i.id} value={i.id}>
                    {instrumentName(i)} — {i.id}
                  </option>
                ))}
                {form.equipment_id && !instruments.list.some((i) => i.id === form.equipment_id) && (
                  <option value={form.equipment_id}>{form.equipment_id} (not connected)</option>
                )}
              </select>
            )}
          </FormField>
          <FormField label="Tags" error={errors.tags}>
            {(id, invalid) => (
              <input
                id={id}
                value={form.tags}
                placeholder="comma, separated"
                aria-invalid={invalid}
                onChange={(e) => set('tags', e.target.value)}
              />
            )}
          </FormField>
          <FormField label="Description" error={errors.description} wide>
            {(id, invalid) => (
              <input
                id={id}
                value={form.description}
                maxLength={1000}
                aria-invalid={invalid}
                onChange={(e) => set('description', e.target.value)}
              />
            )}
          </FormField>
        </div>
      </fieldset>

      <TriggerBuilder form={form} set={set} errors={errors} />

      <fieldset>
        <legend>{script ? 'Test sequence' : 'What it does'}</legend>
        {script ? (
          <>
            <StepEditor
              root="steps"
              label="Steps"
              steps={form.steps}
              onChange={(steps) => setSteps('steps', steps)}
              errors={errors}
              instruments={instruments.list}
              jobEquipment={form.equipment_id}
            />
            <div className="form-grid">
              <FormField label="On a failing step" error={errors.break_on}>
                {(id, invalid) => (
                  <select
                    id={id}
                    value={form.break_on}
                    aria-invalid={invalid}
                    onChange={(e) => set('break_on', e.target.value as JobForm['break_on'])}
                  >
                    {BREAK_ON_OPTIONS.map((o) => (
                      <option key={o.value} value={o.value}>
                        {o.label}
                      </option>
                    ))}
                  </select>
                )}
              </FormField>
            </div>
            <details className="cleanup" open={form.cleanup.length > 0}>
              <summary>Clean-up steps (run at the end, whatever happened)</summary>
              <StepEditor
                root="cleanup"
                label="Clean-up steps"
                steps={form.cleanup}
                onChange={(steps) => setSteps('cleanup', steps)}
                errors={errors}
                instruments={instruments.list}
                jobEquipment={form.equipment_id}
              />
            </details>
          </>
        ) : (
          <FormField label="Parameters (JSON)" error={errors.parameters} wide>
            {(id, invalid) => (
              <textarea
                id={id}
                className="mono"
                rows={5}
                value={form.parameters}
                placeholder={PARAMETER_EXAMPLES[form.schedule_type]}
                aria-invalid={invalid}
                onChange={(e) => set('parameters', e.target.value)}
              />
            )}
          </FormField>
        )}
        {!script && <p className="field-note">For example: {PARAMETER_EXAMPLES[form.schedule_type]}</p>}
      </fieldset>

      <fieldset>
        <legend>Policies</legend>
        <div className="form-grid">
          <FormField label="If the last run is still running" error={errors.conflict_policy}>
            {(id, invalid) => (
              <select
                id={id}
                value={form.conflict_policy}
                aria-invalid={invalid}
                onChange={(e) => set('conflict_policy', e.target.value as JobForm['conflict_policy'])}
              >
                {CONFLICT_POLICY_OPTIONS.map((o) => (
                  <option key={o.value} value={o.value}>
                    {o.label}
                  </option>
                ))}
              </select>
            )}
          </FormField>
          <NumberField
            label="Stop after"
            name="max_executions"
            unit="runs"
            placeholder="no limit"
            form={form}
            set={set}
            errors={errors}
          />
          <NumberField
            label="Runs at once"
            name="max_instances"
            unit=""
            placeholder="1"
            form={form}
            set={set}
            errors={errors}
          />
          <NumberField
            label="Late run allowed for"
            name="misfire_grace_time"
            unit="s"
            placeholder="300"
            form={form}
            set={set}
            errors={errors}
          />
          <FormField label="Profile applied first" error={errors.profile_id}>
            {(id, invalid) => (
              <input
                id={id}
                value={form.profile_id}
                placeholder="none"
                aria-invalid={invalid}
                onChange={(e) => set('profile_id', e.target.value)}
              />
            )}
          </FormField>
        </div>
        <div className="checks">
          <label>
            <input
              type="checkbox"
              checked={form.coalesce}
              onChange={(e) => set('coalesce', e.target.checked)}
            />{' '}
            Missed runs (server down) run once, not each
          </label>
          <label>
            <input
              type="checkbox"
              checked={form.on_failure_alarm}
              onChange={(e) => set('on_failure_alarm', e.target.checked)}
            />{' '}
            Raise an alarm when a run fails
          </label>
          <label>
            <input
              type="checkbox"
              checked={form.enabled}
              onChange={(e) => set('enabled', e.target.checked)}
            />{' '}
            Enabled (runs on its schedule)
          </label>
        </div>
      </fieldset>

      <ErrorAlert message={formError} />
      <div className="form-buttons">
        <button type="submit" disabled={busy}>
          {busy ? 'Saving…' : job ? 'Save' : 'Create job'}
        </button>
        <button
          type="button"
          className="secondary"
          onClick={() => (job ? navigate('scheduler', 'job', job.job_id) : navigate('scheduler'))}
        >
          Cancel
        </button>
      </div>
    </form>
  );
}
