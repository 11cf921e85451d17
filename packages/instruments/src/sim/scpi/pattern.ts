// Command header patterns in the notation of the programming manuals, e.g.
//   [:SOURce<n>]:VOLTage[:LEVel][:IMMediate][:AMPLitude]
// Upper-case letters form the short form (VOLT), the whole keyword the long form (VOLTage); a keyword in [] may be
// left out; <n> allows a numeric suffix (SOURce2, CHANnel1). A header token matches a keyword when it equals the
// short or the long form, in any case — SCPI accepts nothing in between (VOLTA is not VOLTage).

interface KeywordNode {
  long: string;
  short: string;
  optional: boolean;
  /** Whether a numeric suffix may follow (CHANnel<n>). */
  suffix: boolean;
}

export interface HeaderPattern {
  readonly source: string;
  readonly nodes: readonly KeywordNode[];
}

/** The numeric suffixes of a matched header, by the long form of their keyword ('CHANnel' → 2). */
export type Suffixes = ReadonlyMap<string, number>;

const NODE = /^(\[)?:?(\*?[A-Za-z]+)(<n>)?(\])?$/;

export function compilePattern(source: string): HeaderPattern {
  // Split before every ':' that starts a keyword, keeping an opening '[' with its keyword.
  const parts = source.split(/(?=\[:)|(?<!\[):/).filter((part) => part !== '');
  const nodes = parts.map((part) => {
    const m = NODE.exec(part);
    if (!m || Boolean(m[1]) !== Boolean(m[4])) throw new Error(`bad header pattern "${source}" at "${part}"`);
    const long = m[2] as string;
    return {
      long,
      short: long.replace(/[a-z]/g, ''),
      optional: Boolean(m[1]),
      suffix: Boolean(m[3]),
    };
  });
  return { source, nodes };
}

/** Matches header tokens (already split on ':' and stripped of '?') against a pattern. */
export function matchHeader(pattern: HeaderPattern, tokens: readonly string[]): Suffixes | null {
  const suffixes = new Map<string, number>();
  const walk = (ti: number, ni: number): boolean => {
    const node = pattern.nodes[ni];
    if (!node) return ti === tokens.length;
    const token = tokens[ti];
    if (token !== undefined) {
      const suffix = matchKeyword(node, token);
      if (suffix !== null) {
        if (suffix !== undefined) suffixes.set(node.long, suffix);
        if (walk(ti + 1, ni + 1)) return true;
        suffixes.delete(node.long);
      }
    }
    return node.optional && walk(ti, ni + 1);
  };
  return walk(0, 0) ? suffixes : null;
}

/** null: no match; undefined: match without suffix; a number: match with that suffix. */
function matchKeyword(node: KeywordNode, token: string): number | undefined | null {
  const upper = token.toUpperCase();
  let keyword = upper;
  let suffix: number | undefined;
  if (node.suffix) {
    const m = /^(.*?)(\d+)$/.exec(upper);
    if (m) {
      keyword = m[1] as string;
      suffix = Number(m[2]);
    }
  }
  return keyword === node.short || keyword === node.long.toUpperCase() ? suffix : null;
}
