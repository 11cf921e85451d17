// Every failure said in words: what the server refused and why (its `detail`), or that it could not be reached.

import { LabLinkError } from '@lablink/client';

const LEAD: Record<number, string> = {
  0: 'Server unreachable',
  400: 'Invalid request',
  403: 'Refused',
  404: 'Not found',
  409: 'Blocked',
  422: 'Refused',
  501: 'Not supported',
  502: 'Instrument error',
  503: 'Instrument unavailable',
  504: 'Instrument did not answer',
};

export function describeError(err: unknown): string {
  if (err instanceof LabLinkError) {
    const lead = LEAD[err.status] ?? (err.status >= 500 ? 'Server error' : 'Request failed');
    return err.detail ? `${lead}: ${err.detail}` : `${lead} (HTTP ${err.status})`;
  }
  return err instanceof Error ? err.message : String(err);
}
