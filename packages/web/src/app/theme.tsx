// Light and dark themes. The page follows the system until the user picks one; the pick is remembered.

import { createContext, type ReactNode, useContext, useEffect, useState } from 'react';

type Preference = 'system' | 'light' | 'dark';
export type Theme = 'light' | 'dark';

const STORAGE_KEY = 'lablink.theme';
const ORDER: Preference[] = ['system', 'light', 'dark'];
const darkQuery = () => window.matchMedia('(prefers-color-scheme: dark)');

const ThemeContext = createContext<{ theme: Theme; preference: Preference; cycle(): void }>({
  theme: 'light',
  preference: 'system',
  cycle() {},
});

/** The theme in force (charts redraw their axes in its colours). */
export function useTheme(): Theme {
  return useContext(ThemeContext).theme;
}

function storedPreference(): Preference {
  const saved = window.localStorage.getItem(STORAGE_KEY);
  return saved === 'light' || saved === 'dark' ? saved : 'system';
}

export function ThemeProvider({ children }: { children: ReactNode }) {
  const [preference, setPreference] = useState<Preference>(storedPreference);
  const [systemDark, setSystemDark] = useState(() => darkQuery().matches);

  useEffect(() => {
    const query = darkQuery();
    const onChange = () => setSystemDark(query.matches);
    query.addEventListener('change', onChange);
    return () => query.removeEventListener('change', onChange);
  }, []);

  const theme: Theme = preference === 'system' ? (systemDark ? 'dark' : 'light') : preference;
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
  }, [theme]);

  const cycle = () => {
    const next = ORDER[(ORDER.indexOf(preference) + 1) % ORDER.length] as Preference;
    if (next === 'system') window.localStorage.removeItem(STORAGE_KEY);
    else window.localStorage.setItem(STORAGE_KEY, next);
    setPreference(next);
  };

  return <ThemeContext.Provider value={{ theme, preference, cycle }}>{children}</ThemeContext.Provider>;
}

export function ThemeToggle() {
  const { preference, theme, cycle } = useContext(ThemeContext);
  const label = preference === 'system' ? `Theme: system (${theme})` : `Theme: ${preference}`;
  return (
    <button
      type="button"
      className="theme-toggle"
      onClick={cycle}
      aria-label={`${label}. Change theme`}
      title={label}
    >
      {theme === 'dark' ? '☾' : '☀'}
      <span className="theme-name">
        {preference === 'system' ? 'Auto' : preference === 'dark' ? 'Dark' : 'Light'}
      </span>
    </button>
  );
}
