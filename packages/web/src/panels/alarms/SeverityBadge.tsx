// A severity in colour, shape and words, so that it reads without colour too (and with a screen reader).

import type { AlarmSeverity } from '@lablink/client';
import { SEVERITY_ICON, SEVERITY_TEXT, stateText } from './model';

export function SeverityBadge({ severity }: { severity: AlarmSeverity }) {
  return (
    <span className={`severity severity-${severity}`}>
      <span aria-hidden="true">{SEVERITY_ICON[severity] ?? '●'}</span> {SEVERITY_TEXT[severity] ?? severity}
    </span>
  );
}

export function AlarmStateBadge({ state }: { state: string }) {
  return <span className={`alarm-state alarm-state-${state}`}>{stateText(state)}</span>;
}
