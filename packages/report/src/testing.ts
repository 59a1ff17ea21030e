// For tests of the report (here and in the API): reading the Markdown it renders.

/** The cells of the Markdown table row that starts with `first`. */
export function markdownRow(markdown: string, first: string): string[] | undefined {
  return markdown
    .split('\n')
    .filter((line) => line.startsWith('| '))
    .map((line) => line.slice(2, -2).split(' | '))
    .find((cells) => cells[0] === first);
}
