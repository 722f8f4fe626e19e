// CreateTask bodies that a client could send to exhaust the service: deeply
// nested, or huge within the JSON limit. Each must be rejected with 400, and
// a body over the limit with 413.

const JSON_LIMIT_BYTES = 1024 * 1024;

/** Returns a CreateTask body whose labels are nested `depth` levels deep. */
function nested(depth, open, close) {
  return `{"title":"Nested body","priority":"low","labels":${open.repeat(depth)}1${close.repeat(depth)}}`;
}

function manyProperties(count) {
  const body = { title: 'Huge', priority: 'low' };
  for (let index = 0; index < count; index += 1) {
    body[`p${index}`] = 1;
  }
  return JSON.stringify(body);
}

/** Returns the bodies as JSON text. `overLimit` marks the one the HTTP layer must stop before validation. */
export function hostileBodies() {
  return [
    { name: 'arrays nested 100,000 deep', json: nested(100_000, '[', ']'), expected: 400 },
    { name: 'objects nested 50,000 deep', json: nested(50_000, '{"a":', '}'), expected: 400 },
    { name: '100,000 labels', json: JSON.stringify({ title: 'Huge', priority: 'low', labels: Array(100_000).fill('x') }), expected: 400 },
    { name: '50,000 unknown properties', json: manyProperties(50_000), expected: 400 },
    { name: 'title of 900,000 characters', json: JSON.stringify({ title: 'x'.repeat(900_000), priority: 'low' }), expected: 400 },
    {
      name: '2 MiB of labels (over the limit)',
      json: JSON.stringify({ title: 'Huge', priority: 'low', labels: Array(JSON_LIMIT_BYTES / 2).fill('x') }),
      expected: 413,
      overLimit: true,
    },
  ];
}
