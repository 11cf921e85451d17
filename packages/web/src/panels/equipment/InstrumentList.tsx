// The instruments on the bench, each with its live state; choosing one opens its controls.

import { href } from '../../app/router';
import type { Equipment } from '../../instruments/types';
import { StateBadge } from './StateBadge';

export function displayName(e: Equipment): string {
  return e.nickname ? `${e.nickname} (${e.model})` : `${e.manufacturer} ${e.model}`;
}

export function InstrumentList({ items, selected }: { items: Equipment[]; selected: string | undefined }) {
  if (items.length === 0) {
    return (
      <p className="muted">No instruments yet. Discover them or connect one by its VISA address below.</p>
    );
  }
  return (
    <ul className="instrument-list" aria-label="Instruments">
      {items.map((e) => (
        <li key={e.id}>
          <a
            href={href('equipment', e.id)}
            aria-current={e.id === selected ? 'page' : undefined}
            className="instrument-link"
          >
            <span className="instrument-name">{displayName(e)}</span>
            <span className="muted small">
              {e.type.replace('_', ' ')} · {e.id}
            </span>
            <StateBadge state={e.state} error={e.error} />
          </a>
        </li>
      ))}
    </ul>
  );
}
