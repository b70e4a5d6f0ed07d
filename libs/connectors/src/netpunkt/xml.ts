import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { SaxesParser } from 'saxes';
import { TextDecoder } from 'util';
import { ORDER_RECEIPT_NAMESPACE, SOAP_ENVELOPE_NAMESPACE } from './schema';

/** One element of a read document, its name resolved against the namespace declarations in scope. */
export interface XmlElement {
  /** The name as written, prefix included. */
  name: string;
  localName: string;
  /** The namespace URI, or null for an element in no namespace. */
  namespace: string | null;
  /** The element's own text and CDATA, entities decoded, trimmed. */
  text: string;
  /** The attributes as written (namespace declarations included), values not decoded. */
  attributes: Readonly<Record<string, string>>;
  children: XmlElement[];
}

export type XmlReadResult = { ok: true; root: XmlElement } | { ok: false; problems: string[] };

const XML_NAMESPACE = 'http://www.w3.org/XML/1998/namespace';
const PREDEFINED_ENTITIES: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
const REFERENCE = /&(?:#x([0-9a-fA-F]+)|#([0-9]+)|([^;&\s]*));/g;
const ATTRIBUTES = ':@';
const TEXT = '#text';
const CDATA = '#cdata';

/** The most elements and the deepest nesting a document may have: a receipt has about a hundred
 *  elements, six levels deep. Beyond, the document is refused before any more work is done on it. */
export const MAX_XML_ELEMENTS = 5_000;
export const MAX_XML_DEPTH = 32;
/** The most attributes (namespace declarations included) one element may carry. */
export const MAX_XML_ATTRIBUTES = 64;

/** The namespace declarations in scope, looked up through the chain of enclosing elements that
 *  declare any: no copy per element, so a document of many declaring elements costs linear time
 *  (the chain is at most MAX_XML_DEPTH long). */
interface Scope {
  readonly declarations: ReadonlyMap<string, string | null>;
  readonly parent: Scope | null;
}
type ParsedNode = Record<string, unknown>;

function lookup(scope: Scope | null, prefix: string): string | null | undefined {
  for (let s = scope; s; s = s.parent) {
    if (s.declarations.has(prefix)) return s.declarations.get(prefix);
  }
  return undefined;
}

/** fast-xml-parser keeps the document as written: no entity processing at all (references are decoded
 *  here, see decodeReferences), nothing turned into numbers, CDATA apart so it is never decoded. */
const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  processEntities: false,
  cdataPropName: CDATA,
  ignoreDeclaration: true,
  ignorePiTags: true,
  maxNestedTags: 100,
});

/**
 * Reads an XML document into a namespace-aware element tree, or lists why it cannot.
 * Safe on untrusted input: a document with a DTD is refused outright, so no entity can be declared,
 * expanded or fetched (XXE, "billion laughs"); only the five predefined entities and character
 * references are understood. Nesting is bounded by the parser (100 levels).
 */
export function readXml(xml: string): XmlReadResult {
  if (/<!DOCTYPE/i.test(xml)) return { ok: false, problems: ['a DTD (<!DOCTYPE …>) is not allowed'] };
  // The parser lets them through, yet no XML document may hold them (and Postgres cannot store NUL).
  const illegal = NON_XML_CHARACTER.exec(xml);
  if (illegal) {
    const code = illegal[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
    return { ok: false, problems: [`the XML is not well-formed: it holds U+${code} at offset ${illegal.index}, a character XML does not allow`] };
  }
  const tooLarge = limitProblem(xml);
  if (tooLarge) return { ok: false, problems: [tooLarge] };
  const validation = XMLValidator.validate(xml);
  if (validation !== true) {
    const { msg, line, col } = validation.err;
    return { ok: false, problems: [`the XML is not well-formed: ${msg} (line ${line}${col ? `, column ${col}` : ''})`] };
  }
  let nodes: ParsedNode[];
  try {
    nodes = parser.parse(xml);
  } catch (error) {
    return { ok: false, problems: [`the XML cannot be read: ${error.message}`] };
  }
  if (nodes.length !== 1) return { ok: false, problems: ['the XML must have exactly one root element'] };

  const limit = depthProblem(nodes);
  if (limit) return { ok: false, problems: [limit] };

  const problems: string[] = [];
  const root = toElement(nodes[0], { declarations: new Map([['xml', XML_NAMESPACE]]), parent: null }, problems);
  return problems.length ? { ok: false, problems } : { ok: true, root };
}

class Stop extends Error {}

/**
 * A first, streaming pass (saxes, linear time, nothing kept) that stops at the first element past
 * MAX_XML_ELEMENTS or the first element with more than MAX_XML_ATTRIBUTES attributes: a hostile
 * document costs the few kilobytes read until then, not the validator's and the tree builder's work on
 * all of it. Anything else (not well-formed XML too) is left to the full reading, which explains it.
 */
function limitProblem(xml: string): string | null {
  const sax = new SaxesParser({ xmlns: false, position: false });
  let elements = 0;
  let problem: string | null = null;
  sax.on('opentag', (tag) => {
    if (++elements > MAX_XML_ELEMENTS) problem = `the XML has more than ${MAX_XML_ELEMENTS} elements`;
    else if (Object.keys(tag.attributes).length > MAX_XML_ATTRIBUTES) problem = `an element of the XML has more than ${MAX_XML_ATTRIBUTES} attributes`;
    if (problem) throw new Stop();
  });
  sax.on('error', () => {
    throw new Stop();
  });
  try {
    sax.write(xml).close();
  } catch {
    // stopped: a limit was passed, or the XML is not well-formed
  }
  return problem;
}

/** The nesting depth past MAX_XML_DEPTH, found without recursion; null when within. */
function depthProblem(nodes: ParsedNode[]): string | null {
  const stack: Array<{ node: ParsedNode; depth: number }> = nodes.map((node) => ({ node, depth: 1 }));
  while (stack.length) {
    const { node, depth } = stack.pop()!;
    if (TEXT in node || CDATA in node) continue;
    if (depth > MAX_XML_DEPTH) return `the XML is nested more than ${MAX_XML_DEPTH} elements deep`;
    const name = Object.keys(node).find((key) => key !== ATTRIBUTES)!;
    for (const child of node[name] as ParsedNode[]) stack.push({ node: child, depth: depth + 1 });
  }
  return null;
}

function toElement(node: ParsedNode, parentScope: Scope, problems: string[]): XmlElement {
  const name = Object.keys(node).find((key) => key !== ATTRIBUTES)!;
  const attributes = (node[ATTRIBUTES] ?? {}) as Record<string, string>;
  const scope = withDeclarations(parentScope, attributes, problems);
  const separator = name.indexOf(':');
  const prefix = separator < 0 ? '' : name.slice(0, separator);
  const localName = name.slice(separator + 1);
  const found = lookup(scope, prefix);
  const namespace = found ?? null;
  if (prefix && found === undefined) problems.push(`the namespace prefix "${prefix}" of <${name}> is not declared`);

  const children: XmlElement[] = [];
  let text = '';
  for (const child of node[name] as ParsedNode[]) {
    if (TEXT in child) text += decodeReferences(String(child[TEXT]), problems);
    else if (CDATA in child) text += (child[CDATA] as ParsedNode[]).map((part) => String(part[TEXT] ?? '')).join('');
    else children.push(toElement(child, scope, problems));
  }
  return { name, localName, namespace, text: text.trim(), attributes, children };
}

function withDeclarations(parentScope: Scope, attributes: Record<string, string>, problems: string[]): Scope {
  const declarations = Object.entries(attributes).filter(([name]) => name === 'xmlns' || name.startsWith('xmlns:'));
  if (!declarations.length) return parentScope;
  const own = new Map<string, string | null>();
  for (const [name, value] of declarations) {
    // xmlns="" takes the default namespace away; a prefix cannot be undeclared so (XML Namespaces 1.0).
    own.set(name === 'xmlns' ? '' : name.slice('xmlns:'.length), decodeReferences(value, problems) || null);
  }
  return { declarations: own, parent: parentScope };
}

/** Writes an element tree back as XML (element text and children; attributes as they were written).
 *  `replace` may give another text for an element (redaction): it is then written instead of the
 *  element's own text and children. */
export function writeXml(element: XmlElement, replace: (element: XmlElement) => string | undefined = () => undefined): string {
  const attributes = Object.entries(element.attributes).map(([name, value]) => ` ${name}="${value.replace(/"/g, '&quot;')}"`).join('');
  const replacement = replace(element);
  const inner = replacement !== undefined ? escapeXml(replacement) : escapeXml(element.text) + element.children.map((child) => writeXml(child, replace)).join('');
  return inner ? `<${element.name}${attributes}>${inner}</${element.name}>` : `<${element.name}${attributes}/>`;
}

/** Decodes the predefined entities and character references; any other reference is an error, since
 *  without a DTD nothing can declare it. */
function decodeReferences(text: string, problems: string[]): string {
  return text.replace(REFERENCE, (reference, hex: string | undefined, decimal: string | undefined, name: string | undefined) => {
    if (name !== undefined) {
      if (Object.hasOwn(PREDEFINED_ENTITIES, name)) return PREDEFINED_ENTITIES[name];
      problems.push(`the entity ${reference} is not defined`);
      return '';
    }
    const codePoint = hex !== undefined ? parseInt(hex, 16) : parseInt(decimal!, 10);
    if (isXmlChar(codePoint)) return String.fromCodePoint(codePoint);
    problems.push(`the character reference ${reference} is not a legal XML character`);
    return '';
  });
}

function isXmlChar(codePoint: number): boolean {
  return (
    codePoint === 0x9 || codePoint === 0xa || codePoint === 0xd ||
    (codePoint >= 0x20 && codePoint <= 0xd7ff) ||
    (codePoint >= 0xe000 && codePoint <= 0xfffd) ||
    (codePoint >= 0x10000 && codePoint <= 0x10ffff)
  );
}

const BYTE_ORDER_MARKS: ReadonlyArray<[number[], string]> = [
  [[0xef, 0xbb, 0xbf], 'utf-8'],
  [[0xff, 0xfe], 'utf-16le'],
  [[0xfe, 0xff], 'utf-16be'],
];
const DECLARED_ENCODING = /^<\?xml\s[^>]*?\bencoding\s*=\s*["']([A-Za-z][A-Za-z0-9._-]*)["']/;

/**
 * The text of an XML document received as bytes: in the encoding its byte order mark says, else the one
 * its XML declaration names (`<?xml version="1.0" encoding="ISO-8859-1"?>`), else the charset of the
 * Content-Type, else UTF-8. Bytes that are not valid in that encoding, and an encoding this runtime does
 * not know, are problems rather than replacement characters.
 */
export function decodeXmlBytes(bytes: Uint8Array, contentTypeCharset?: string): { ok: true; text: string } | { ok: false; problem: string } {
  const bom = BYTE_ORDER_MARKS.find(([marks]) => marks.every((byte, i) => bytes[i] === byte));
  // An ASCII-compatible look at the declaration: its characters are ASCII in every encoding it may name.
  const declared = bom ? undefined : DECLARED_ENCODING.exec(Buffer.from(bytes.subarray(0, 256)).toString('latin1'))?.[1];
  const label = bom?.[1] ?? declared ?? contentTypeCharset ?? 'utf-8';
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(label, { fatal: true });
  } catch {
    return { ok: false, problem: `the XML is in the encoding "${label}", which is not supported` };
  }
  try {
    return { ok: true, text: decoder.decode(bytes) };
  } catch {
    return { ok: false, problem: `the XML is not valid ${label}: it holds bytes that encoding cannot have` };
  }
}

/** The element a SOAP message carries: the first element of its Body. A document that is not a SOAP
 *  1.1 Envelope is taken as that element itself. Headers, whatever they hold, are not looked at. */
export function soapPayload(root: XmlElement): XmlElement | string {
  if (root.localName !== 'Envelope' || root.namespace !== SOAP_ENVELOPE_NAMESPACE) return root;
  const body = root.children.find((child) => child.localName === 'Body' && child.namespace === SOAP_ENVELOPE_NAMESPACE);
  if (!body) return 'the SOAP Envelope has no Body';
  return body.children[0] ?? 'the SOAP Body is empty';
}

/** An element of the orderReceipt namespace; one of no namespace is taken as such too, for senders
 *  that leave the namespace out. */
export function isOrderReceiptElement(element: XmlElement, localName: string): boolean {
  return element.localName === localName && (element.namespace === ORDER_RECEIPT_NAMESPACE || element.namespace === null);
}

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };
/** Characters XML 1.0 cannot hold at all, escaped or not (lone surrogates included). */
const NON_XML_CHARACTERS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
/** The same, to find the first one (no global state). */
const NON_XML_CHARACTER = new RegExp(NON_XML_CHARACTERS.source);

/** Escapes text for element content and attribute values alike, dropping characters XML cannot hold. */
export function escapeXml(text: string): string {
  return text.replace(NON_XML_CHARACTERS, '').replace(/[&<>"']/g, (char) => ESCAPES[char]);
}
