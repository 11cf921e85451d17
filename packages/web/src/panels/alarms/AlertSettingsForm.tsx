// Desktop notifications and the critical-alarm beep, each switched on or off here (remembered in this browser).
// Turning notifications on is the click that lets the page ask the browser for permission.

import { useActiveAlarms } from './AlarmsProvider';
import { beep, unlockSound } from './alerts';

export function AlertSettingsForm() {
  const { settings, setSettings, permission } = useActiveAlarms();
  const blocked = settings.desktop && permission === 'denied';
  return (
    <fieldset className="alert-settings">
      <legend className="visually-hidden">Alerts in this browser</legend>
      <label>
        <input
          type="checkbox"
          checked={settings.desktop}
          onChange={(e) => setSettings({ ...settings, desktop: e.target.checked })}
        />{' '}
        Desktop notifications
      </label>
      <label>
        <input
          type="checkbox"
          checked={settings.sound}
          onChange={(e) => setSettings({ ...settings, sound: e.target.checked })}
        />{' '}
        Sound for critical alarms
      </label>
      {settings.sound && (
        <button
          type="button"
          className="secondary small-button"
          onClick={() => {
            unlockSound();
            window.setTimeout(beep, 50);
          }}
        >
          Test sound
        </button>
      )}
      {settings.desktop && permission === 'default' && (
        <button type="button" className="secondary small-button" onClick={() => setSettings(settings)}>
          Allow notifications in this browser
        </button>
      )}
      {blocked && <span className="field-error">The browser blocks notifications for this site.</span>}
      {settings.desktop && permission === 'unsupported' && (
        <span className="muted small">This browser has no desktop notifications.</span>
      )}
    </fieldset>
  );
}
