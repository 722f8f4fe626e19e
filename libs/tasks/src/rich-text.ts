import sanitizeHtml from 'sanitize-html';

export const RICH_TEXT_MAX_LENGTH = 5000;

/** Tags and attributes that survive in descriptions and comments; scripts, handlers and javascript: URLs never do. */
const SAFE_HTML: sanitizeHtml.IOptions = {
  allowedTags: [
    'p',
    'br',
    'b',
    'strong',
    'i',
    'em',
    'u',
    's',
    'code',
    'pre',
    'blockquote',
    'ul',
    'ol',
    'li',
    'a',
    'h1',
    'h2',
    'h3',
  ],
  allowedAttributes: { a: ['href'] },
  allowedSchemes: ['http', 'https', 'mailto'],
  disallowedTagsMode: 'discard',
};

export function sanitizeRichText(html: string): string {
  return sanitizeHtml(html, SAFE_HTML);
}

/**
 * Returns what is wrong with `html` once sanitised: nothing but markup, or
 * longer than the limit (escaping turns & into &amp;), else undefined.
 */
export function richTextProblem(field: string, html: string): string | undefined {
  const sanitised = sanitizeRichText(html);
  if (html.length > 0 && sanitised.replace(/<[^>]*>/g, '').trim().length === 0) {
    return `${field} must contain text, not only markup`;
  }
  if (sanitised.length > RICH_TEXT_MAX_LENGTH) {
    return `${field} must be at most ${RICH_TEXT_MAX_LENGTH} characters once sanitised`;
  }
  return undefined;
}
