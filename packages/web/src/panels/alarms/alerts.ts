// Telling people about a new alarm outside the page: a desktop notification (the browser's Notification API)
// and a beep for critical alarms (WebAudio, no sound file). Each can be turned off; the choice is remembered in
// localStorage. Permission for notifications is only asked when someone turns them on (a click), as browsers
// require.

import type { AlarmSeverity } from '@lablink/client';

export interface AlertSettings {
  /** Desktop notifications for new alarms. */
  desktop: boolean;
  /** A beep for new critical alarms. */
  sound: boolean;
}

export const SETTINGS_KEY = 'lablink.alarms.alerts';
export const DEFAULT_SETTINGS: AlertSettings = { desktop: true, sound: true };

type Storage = Pick<globalThis.Storage, 'getItem' | 'setItem'>;

export function loadSettings(storage: Storage | undefined): AlertSettings {
  try {
    const saved = JSON.parse(storage?.getItem(SETTINGS_KEY) ?? 'null') as Partial<AlertSettings> | null;
    return {
      desktop: typeof saved?.desktop === 'boolean' ? saved.desktop : DEFAULT_SETTINGS.desktop,
      sound: typeof saved?.sound === 'boolean' ? saved.sound : DEFAULT_SETTINGS.sound,
    };
  } catch {
    return { ...DEFAULT_SETTINGS };
  }
}

export function saveSettings(storage: Storage | undefined, settings: AlertSettings): void {
  try {
    storage?.setItem(SETTINGS_KEY, JSON.stringify(settings));
  } catch {
    // Private browsing or a full quota: the setting holds for this page.
  }
}

/** What a new alarm should set off, given the settings and whether the browser allows notifications. */
export function alertsFor(
  severity: AlarmSeverity,
  settings: AlertSettings,
  permission: NotificationPermission | 'unsupported',
): { desktop: boolean; sound: boolean } {
  return {
    desktop: settings.desktop && permission === 'granted',
    sound: settings.sound && severity === 'critical',
  };
}

export function notificationPermission(): NotificationPermission | 'unsupported' {
  return typeof Notification === 'undefined' ? 'unsupported' : Notification.permission;
}

/** Asks for permission (call from a click); resolves with the answer. */
export async function requestNotificationPermission(): Promise<NotificationPermission | 'unsupported'> {
  if (typeof Notification === 'undefined') return 'unsupported';
  if (Notification.permission !== 'default') return Notification.permission;
  try {
    return await Notification.requestPermission();
  } catch {
    return Notification.permission;
  }
}

export function showDesktopNotification(title: string, body: string, tag: string, onClick: () => void): void {
  try {
    const notification = new Notification(title, { body, tag });
    notification.onclick = () => {
      window.focus();
      onClick();
      notification.close();
    };
  } catch {
    // Some browsers allow notifications only from a service worker; the in-page list still shows the alarm.
  }
}

let audio: AudioContext | null = null;

/**
 * Three short beeps at 880 Hz. Browsers start audio only after the page has had a click, so the context is
 * created (or resumed) on the first gesture by `unlockSound`, and a beep before that is silently skipped.
 */
export function beep(): void {
  if (audio?.state !== 'running') return;
  const start = audio.currentTime + 0.02;
  for (let i = 0; i < 3; i++) {
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.type = 'square';
    osc.frequency.value = 880;
    const t = start + i * 0.25;
    gain.gain.setValueAtTime(0.0001, t);
    gain.gain.exponentialRampToValueAtTime(0.15, t + 0.01);
    gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.15);
    osc.connect(gain).connect(audio.destination);
    osc.start(t);
    osc.stop(t + 0.16);
  }
}

/** Creates or resumes the audio context; call it from a user gesture. */
export function unlockSound(): void {
  try {
    const Context =
      window.AudioContext ??
      (window as unknown as { webkitAudioContext?: typeof AudioContext }).webkitAudioContext;
    if (!Context) return;
    audio ??= new Context();
    if (audio.state === 'suspended') void audio.resume();
  } catch {
    audio = null;
  }
}
