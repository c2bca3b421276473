// The one place Jinja filters and tests get regular expressions (regex_replace, regex_search,
// regex_findall, match, search, regex): the project's safe-regex helper (linear-time matching,
// bounded input; issue 11 item 6). Python `re` syntax is the helper's input.
export { compileRegex, RegexError, type RegexFlags, type RegexMatch, type SafeRegex } from '../safe-regex.js';
