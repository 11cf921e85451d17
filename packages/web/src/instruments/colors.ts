// Trace colours readable on both themes. Scope channels use the colours printed on Rigol front panels.

export const QUANTITY_COLORS = {
  voltage: '#2f7fe0',
  current: '#e8590c',
  power: '#2b9348',
  value: '#7b4fd6',
} as const;

export const CHANNEL_COLORS = ['#d4a600', '#00a3cc', '#d63384', '#3a62d8'] as const;

export function channelColor(channel: number): string {
  return CHANNEL_COLORS[(channel - 1) % CHANNEL_COLORS.length] as string;
}
