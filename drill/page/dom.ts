import { GLOSSARY, markTerms } from '../view/glossary.js';

/**
 * A tiny element builder for the page: every text goes in as a text node (never as markup), so
 * scenario text cannot inject anything.
 */
type Child = Node | string | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string | number | boolean | undefined> = {}, ...children: (Child | Child[])[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    element.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return element;
}

export function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number> = {}, ...children: Node[]): SVGElementTagNameMap[K] {
  const element = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [name, value] of Object.entries(attrs)) element.setAttribute(name, String(value));
  element.append(...children);
  return element;
}

/** Text with its glossary terms marked: hover or tap (focus) shows the explanation. */
export function withTerms(text: string, seen: Set<string> = new Set()): Node[] {
  return markTerms(text, seen).map((piece) => (piece.term ? term(piece.text, piece.term) : document.createTextNode(piece.text)));
}

/** One glossary term: underlined, focusable, its explanation in a tooltip shown on hover or focus. */
export function term(text: string, name: string): HTMLElement {
  return h('span', { class: 'term', tabindex: 0, 'data-term': name, 'aria-label': `${text}: ${GLOSSARY[name] ?? ''}` }, text);
}

export function clear(element: Element, ...children: (Child | Child[])[]): void {
  element.replaceChildren();
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
}
