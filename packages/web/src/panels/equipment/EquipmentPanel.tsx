// The Equipment panel: the bench on the left (or on top, on a phone), the chosen instrument's controls beside it.

import { useCan } from '../../app/auth';
import { ErrorAlert } from '../../components/ErrorAlert';
import type { PanelProps } from '../index';
import { AddInstrument } from './AddInstrument';
import { InstrumentDetail } from './InstrumentDetail';
import { InstrumentList } from './InstrumentList';
import { useEquipment } from './useEquipment';

export function EquipmentPanel({ path }: PanelProps) {
  const { items, error, loaded, refresh, upsert } = useEquipment();
  const canConnect = useCan('operator');
  const selectedId = path[0];
  const selected = items.find((e) => e.id === selectedId);

  return (
    <div className={`equipment-panel${selected ? ' has-selection' : ''}`}>
      <aside className="bench" aria-label="Bench">
        <h2>Instruments</h2>
        <ErrorAlert message={error} />
        {loaded && <InstrumentList items={items} selected={selectedId} />}
        {!loaded && !error && <p className="muted">Loading…</p>}
        {/* Keyed so that it opens by itself when the bench turns out empty. */}
        {canConnect && (
          <AddInstrument
            key={String(loaded && items.length === 0)}
            onConnected={upsert}
            open={loaded && items.length === 0}
          />
        )}
      </aside>
      <section className="workspace" aria-label="Instrument">
        {selected ? (
          <InstrumentDetail key={selected.id} equipment={selected} onChanged={upsert} onRemoved={refresh} />
        ) : (
          <p className="notice">
            {selectedId && loaded
              ? `There is no instrument ${selectedId} (any more).`
              : 'Choose an instrument to see its live readings and controls.'}
          </p>
        )}
      </section>
    </div>
  );
}
