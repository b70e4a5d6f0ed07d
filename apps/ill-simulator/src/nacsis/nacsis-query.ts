/** The search expressions of the simulator (nacsis-catp.md §6.2 [PROP]): `KEY="value"` terms (`>=`, `<=`, `>`,
 *  `<` only when range operators are switched on), a trailing unescaped `*` in the value for prefix match, backslash escapes,
 *  `AND` / `OR` / `NOT` (binary "and not", or unary in front) and parentheses. */

export type ValuesOf = (key: string) => readonly string[];
export type Predicate = (values: ValuesOf) => boolean;

export class QuerySyntaxError extends Error {}

export interface QueryOptions {
  /** Accept `>=`, `<=`, `>`, `<` (default: refused, as no public source shows the real server taking them). */
  rangeOperators?: boolean;
}

type Operator = '=' | '>=' | '<=' | '>' | '<';
type Token = { kind: 'open' } | { kind: 'close' } | { kind: 'word'; word: 'AND' | 'OR' | 'NOT' } | { kind: 'term'; predicate: Predicate };

function termPredicate(key: string, operator: Operator, value: string, prefix: boolean): Predicate {
  const test = (candidate: string): boolean => {
    switch (operator) {
      case '=':
        return prefix ? candidate.startsWith(value) : candidate === value;
      case '>=':
        return candidate >= value;
      case '<=':
        return candidate <= value;
      case '>':
        return candidate > value;
      case '<':
        return candidate < value;
    }
  };
  return (values) => values(key).some(test);
}

function tokenize(text: string, options: QueryOptions): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const character = text[i];
    if (/\s/.test(character)) {
      i++;
    } else if (character === '(' || character === ')') {
      tokens.push({ kind: character === '(' ? 'open' : 'close' });
      i++;
    } else {
      const match = /^([A-Za-z0-9_]+)\s*(>=|<=|=|>|<)?/.exec(text.slice(i));
      if (!match) throw new QuerySyntaxError(`unexpected ${JSON.stringify(text.slice(i, i + 10))}`);
      const [whole, name, operator] = match;
      if (!operator) {
        const word = name.toUpperCase();
        if (word !== 'AND' && word !== 'OR' && word !== 'NOT') throw new QuerySyntaxError(`${name} is neither a term nor AND/OR/NOT`);
        tokens.push({ kind: 'word', word });
        i += whole.length;
        continue;
      }
      if (operator !== '=' && !options.rangeOperators) {
        throw new QuerySyntaxError(`the range operator ${operator} is not supported (${name}): search by equality or prefix match (KEY="value", KEY="prefix*")`);
      }
      i += whole.length;
      while (text[i] === ' ') i++;
      if (text[i] !== '"') throw new QuerySyntaxError(`the value of ${name} must be in double quotes`);
      i++;
      let value = '';
      let prefix = false;
      let closed = false;
      while (i < text.length) {
        const c = text[i];
        if (c === '\\' && i + 1 < text.length) {
          value += text[i + 1];
          i += 2;
        } else if (c === '"') {
          closed = true;
          i++;
          break;
        } else {
          if (c === '*' && text[i + 1] === '"') prefix = true;
          else value += c;
          i++;
        }
      }
      if (!closed) throw new QuerySyntaxError(`the value of ${name} is not closed`);
      if (prefix && operator !== '=') throw new QuerySyntaxError('prefix match (*) only with =');
      tokens.push({ kind: 'term', predicate: termPredicate(name.toUpperCase(), operator as Operator, value, prefix) });
    }
  }
  return tokens;
}

export function parseQuery(text: string, options: QueryOptions = {}): Predicate {
  const tokens = tokenize(text, options);
  if (!tokens.length) throw new QuerySyntaxError('the search expression is empty');
  let position = 0;
  const peek = () => tokens[position];
  const isWord = (word: string) => peek()?.kind === 'word' && (peek() as { word: string }).word === word;

  const primary = (): Predicate => {
    const token = tokens[position++];
    if (!token) throw new QuerySyntaxError('the search expression ends too early');
    if (token.kind === 'term') return token.predicate;
    if (token.kind === 'open') {
      const inner = or();
      if (tokens[position++]?.kind !== 'close') throw new QuerySyntaxError('a parenthesis is not closed');
      return inner;
    }
    if (token.kind === 'word' && token.word === 'NOT') {
      const operand = primary();
      return (values) => !operand(values);
    }
    throw new QuerySyntaxError(`unexpected ${token.kind === 'word' ? token.word : ')'}`);
  };
  const and = (): Predicate => {
    let left = primary();
    while (isWord('AND') || isWord('NOT')) {
      const negate = isWord('NOT');
      position++;
      const right = primary();
      const previous = left;
      left = negate ? (values) => previous(values) && !right(values) : (values) => previous(values) && right(values);
    }
    return left;
  };
  const or = (): Predicate => {
    let left = and();
    while (isWord('OR')) {
      position++;
      const right = and();
      const previous = left;
      left = (values) => previous(values) || right(values);
    }
    return left;
  };
  const predicate = or();
  if (position !== tokens.length) throw new QuerySyntaxError('unexpected text after the search expression');
  return predicate;
}
