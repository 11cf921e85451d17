// When a job fires: the six trigger types, each with only its own fields, the time zone, an optional start and
// end, and the server's preview of it — the trigger in words and the next five run times — asked for again (after
// a short pause in the typing) whenever the trigger changes. A refusal of the preview shows next to its field.

import { LabLinkError } from '@lablink/client';
import { useEffect, useMemo, useState } from 'react';
import { FormField, NumberField } from '../../components/FormField';
import { describeError } from '../../lib/errors';
import {
  browserTimeZone,
  dateTimeText,
  type FieldErrors,
  formFieldOf,
  type JobForm,
  previewKey,
  TRIGGER_TYPE_OPTIONS,
  triggerFromForm,
  WEEKDAYS,
} from './model';
import type { TriggerPreview } from './types';
import { useJobs } from './useJobs';

/** How long the typing must pause before the preview is asked for. */
export const PREVIEW_DEBOUNCE_MS = 300;

function timeZones(): string[] {
  try {
    const supported = (Intl as unknown as { supportedValuesOf?(key: string): string[] }).supportedValuesOf;
    return supported ? supported('timeZone') : [];
  } catch {
    return [];
  }
}

export function TriggerBuilder({
  form,
  set,
  errors,
}: {
  form: JobForm;
  set<K extends keyof JobForm>(key: K, value: JobForm[K]): void;
  errors: FieldErrors;
}) {
  const { api } = useJobs();
  const { trigger, errors: local } = useMemo(() => triggerFromForm(form), [form]);
  const key = previewKey(trigger);
  const ready = Object.keys(local).length === 0;
  const [preview, setPreview] = useState<{ key: string; preview: TriggerPreview } | null>(null);
  const [refusal, setRefusal] = useState<{ key: string; field: string; message: string } | null>(null);
  const [pending, setPending] = useState(false);
  const zones = useMemo(timeZones, []);

  // biome-ignore lint/correctness/useExhaustiveDependencies: `key` stands for `trigger`
  useEffect(() => {
    if (!ready) {
      setPending(false);
      return;
    }
    let current = true;
    setPending(true);
    const timer = window.setTimeout(() => {
      api
        .previewTrigger(trigger)
        .then((p) => {
          if (!current) return;
          setPreview({ key, preview: p });
          setRefusal(null);
        })
        .catch((err) => {
          if (!current) return;
          const field = err instanceof LabLinkError ? formFieldOf(err.field) : '';
          setRefusal({ key, field, message: describeError(err) });
        })
        .finally(() => {
          if (current) setPending(false);
        });
    }, PREVIEW_DEBOUNCE_MS);
    return () => {
      current = false;
      window.clearTimeout(timer);
    };
  }, [api, key, ready]);

  // Shown next to each field: what the form sees as typed, what the editor's save was refused for, and what the
  // preview was refused for (only while the trigger is the one refused).
  const shownRefusal = refusal && refusal.key === key ? refusal : null;
  const err = (name: keyof JobForm) =>
    local[name] ?? errors[name] ?? (shownRefusal?.field === name ? shownRefusal.message : undefined);
  const stale = !preview || preview.key !== key;
  const t = form.trigger_type;

  return (
    <fieldset className="trigger-builder">
      <legend>When it runs</legend>
      <div className="form-grid">
        <FormField label="Trigger" error={err('trigger_type')}>
          {(id, invalid) => (
            <select
              id={id}
              value={t}
              aria-invalid={invalid}
              onChange={(e) => set('trigger_type', e.target.value as JobForm['trigger_type'])}
            >
              {TRIGGER_TYPE_OPTIONS.map((o) => (
                <option key={o.value} value={o.value}>
                  {o.label}
                </option>
              ))}
            </select>
          )}
        </FormField>
        {t === 'cron' && (
          <FormField label="Cron expression" error={err('cron_expression')} wide>
            {(id, invalid) => (
              <input
                id={id}
                className="mono"
                value={form.cron_expression}
                placeholder="*/5 * * * *"
                aria-invalid={invalid}
                aria-describedby={`${id}-hint`}
                onChange={(e) => set('cron_expression', e.target.value)}
              />
            )}
          </FormField>
        )}
        {t === 'interval' && (
          <>
            <NumberField
              label="Days"
              name="interval_days"
              unit="d"
              form={form}
              set={set}
              errors={{ interval_days: err('interval_days') }}
            />
            <NumberField
              label="Hours"
              name="interval_hours"
              unit="h"
              form={form}
              set={set}
              errors={{ interval_hours: err('interval_hours') }}
            />
            <NumberField
              label="Minutes"
              name="interval_minutes"
              unit="min"
              form={form}
              set={set}
              errors={{ interval_minutes: err('interval_minutes') }}
            />
            <NumberField
              label="Seconds"
              name="interval_seconds"
              unit="s"
              form={form}
              set={set}
              errors={{ interval_seconds: err('interval_seconds') }}
            />
          </>
        )}
        {t === 'date' && (
          <FormField label="Run at" error={err('run_date')}>
            {(id, invalid) => (
              <input
                id={id}
                type="datetime-local"
                step={1}
                value={form.run_date}
                aria-invalid={invalid}
                onChange={(e) => set('run_date', e.target.value)}
              />
            )}
          </FormField>
        )}
        {t === 'weekly' && (
          <FormField label="Day of the week" error={err('day_of_week')}>
            {(id, invalid) => (
              <select
                id={id}
                value={form.day_of_week}
                aria-invalid={invalid}
                onChange={(e) => set('day_of_week', e.target.value)}
              >
                {WEEKDAYS.map((d, i) => (
                  <option key={d} value={String(i)}>
                    {d}
                  </option>
                ))}
              </select>
            )}
          </FormField>
        )}
        {t === 'monthly' && (
          <NumberField
            label="Day of the month"
            name="day_of_month"
            unit=""
            placeholder="1–31"
            form={form}
            set={set}
            errors={{ day_of_month: err('day_of_month') }}
          />
        )}
        {(t === 'daily' || t === 'weekly' || t === 'monthly') && (
          <FormField label="Time of day" error={err('time_of_day')}>
            {(id, invalid) => (
              <input
                id={id}
                type="time"
                step={1}
                value={form.time_of_day}
                aria-invalid={invalid}
                onChange={(e) => set('time_of_day', e.target.value)}
              />
            )}
          </FormField>
        )}
        <FormField label="Time zone" error={err('timezone')}>
          {(id, invalid) => (
            <>
              <input
                id={id}
                list={`${id}-zones`}
                value={form.timezone}
                placeholder={browserTimeZone()}
                aria-invalid={invalid}
                onChange={(e) => set('timezone', e.target.value)}
              />
              <datalist id={`${id}-zones`}>
                {zones.map((z) => (
                  <option key={z} value={z} />
                ))}
              </datalist>
            </>
          )}
        </FormField>
        {t !== 'date' && (
          <>
            <FormField label="Not before" error={err('start_date')}>
              {(id, invalid) => (
                <input
                  id={id}
                  type="datetime-local"
                  step={1}
                  value={form.start_date}
                  aria-invalid={invalid}
                  onChange={(e) => set('start_date', e.target.value)}
                />
              )}
            </FormField>
            <FormField label="Not after" error={err('end_date')}>
              {(id, invalid) => (
                <input
                  id={id}
                  type="datetime-local"
                  step={1}
                  value={form.end_date}
                  aria-invalid={invalid}
                  onChange={(e) => set('end_date', e.target.value)}
                />
              )}
            </FormField>
          </>
        )}
      </div>
      <p className="field-note">
        {t === 'date'
          ? `Run at is in this browser's time zone (${browserTimeZone()}).`
          : `Not before and not after are in this browser's time zone (${browserTimeZone()}); the schedule itself in the time zone above.`}
      </p>
      {t === 'cron' && (
        <p className="field-note">
          Five fields — minute, hour, day of the month, month, day of the week — or six with seconds first.
          E.g. <code>30 8 * * 1-5</code> is 08:30 on weekdays, <code>*/10 * * * * *</code> every 10 seconds.
        </p>
      )}
      <section
        className={`trigger-preview${stale ? ' stale' : ''}`}
        aria-label="Trigger preview"
        aria-live="polite"
        aria-busy={pending}
      >
        {!ready ? (
          <p className="muted small">Complete the trigger to see when it runs.</p>
        ) : shownRefusal && !shownRefusal.field ? (
          <p className="field-error">{shownRefusal.message}</p>
        ) : preview ? (
          <>
            <p className="trigger-words" data-testid="trigger-description">
              {preview.preview.description}
              {preview.preview.cron_expression && t !== 'cron' && (
                <span className="muted small mono"> ({preview.preview.cron_expression})</span>
              )}
            </p>
            {preview.preview.next_runs.length === 0 ? (
              <p className="muted small">It will not run again.</p>
            ) : (
              <>
                <h4 className="small">Next runs ({preview.preview.timezone})</h4>
                <ol aria-label="Next run times" className="next-runs">
                  {preview.preview.next_runs.map((r) => (
                    <li key={r}>
                      <time dateTime={r}>{dateTimeText(r)}</time>
                    </li>
                  ))}
                </ol>
              </>
            )}
          </>
        ) : (
          <p className="muted small">Working out when it runs…</p>
        )}
      </section>
    </fieldset>
  );
}
