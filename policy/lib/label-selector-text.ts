/**
 * Kubernetes label selectors written as text (`app=vllm,tier in (a,b),!canary`), as
 * k8s.io/apimachinery v0.35.7 labels.Parse reads them (pkg/labels/selector.go: its Lexer, Parser and
 * NewRequirement; keys and values by pkg/api/validate/content/kube.go IsLabelKey, IsLabelValue).
 * llm-d-router v0.10.0 pins that apimachinery and parses selectors in plugin parameters with it.
 * Pure: text in, the first reason Parse refuses it out (undefined when it parses).
 */

const SPECIAL = "=!(),><";
const TOKENS = new Set([")", ",", "!", "==", "=", ">", "<", "!=", "(", "in", "notin"]);
const NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** apimachinery IsDNS1123Label: at most 63 lowercase letters, digits and inner `-` (container names, trust-domain labels). */
export const isDns1123Label = (text: string): boolean => text.length <= 63 && DNS1123_LABEL.test(text);

/** IsLabelKey: an optional DNS subdomain prefix and `/`, then a name of at most 63 characters. */
export function isLabelKey(key: string): boolean {
  const parts = key.split("/");
  if (parts.length > 2) return false;
  const name = parts[parts.length - 1];
  const prefix = parts.length === 2 ? parts[0] : undefined;
  if (prefix !== undefined && (prefix === "" || prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) return false;
  return name.length <= 63 && NAME.test(name);
}

/** IsLabelValue: empty, or a name of at most 63 characters. */
export function isLabelValue(value: string): boolean {
  return value === "" || (value.length <= 63 && NAME.test(value));
}

interface Token { kind: "id" | "op" | "end"; text: string }

/** The Lexer: whitespace separates; special symbols join into the longest token they spell; `in`/`notin` are keywords. */
function lex(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  for (;;) {
    while (i < text.length && " \t\r\n".includes(text[i])) i++;
    if (i >= text.length) return [...out, { kind: "end", text: "" }];
    if (SPECIAL.includes(text[i])) {
      let last = text[i++];
      while (i < text.length && SPECIAL.includes(text[i]) && TOKENS.has(last + text[i])) last += text[i++];
      out.push({ kind: "op", text: last });
    } else {
      const start = i;
      while (i < text.length && !SPECIAL.includes(text[i]) && !" \t\r\n".includes(text[i])) i++;
      const word = text.slice(start, i);
      out.push({ kind: word === "in" || word === "notin" ? "op" : "id", text: word });
    }
  }
}

/** Why labels.Parse refuses `text`, or undefined where it parses (an empty selector selects everything). */
export function labelSelectorError(text: string): string | undefined {
  const tokens = lex(text);
  let at = 0;
  // In value position the parser reads the keywords in and notin as identifiers.
  const value = () => (tokens[at].kind === "id" || tokens[at].text === "in" || tokens[at].text === "notin" ? tokens[at] : undefined);
  const requirement = (): string | undefined => {
    const negated = tokens[at].text === "!";
    if (negated) at++;
    const key = value();
    if (!key) return `found '${tokens[at].text}', expected: identifier`;
    at++;
    if (!isLabelKey(key.text)) return `${JSON.stringify(key.text)} is not a valid label key`;
    if (tokens[at].kind === "end" || tokens[at].text === ",") return undefined;
    if (negated) return `found '${tokens[at].text}', expected: ',' or 'end of string'`;
    const op = tokens[at++];
    const values: string[] = [];
    if (op.text === "in" || op.text === "notin") {
      if (tokens[at++].text !== "(") return `found '${tokens[at - 1].text}' expected: '('`;
      // Values between the parentheses, commas separating; an empty slot is the value "".
      for (let expectValue = true; ; ) {
        const t = tokens[at++];
        if (t.text === ")" || t.text === ",") {
          if (expectValue) values.push("");
          if (t.text === ")") break;
          expectValue = true;
        } else if (expectValue && (t.kind === "id" || t.text === "in" || t.text === "notin")) {
          values.push(t.text);
          expectValue = false;
        } else return `found '${t.text}', expected: ',', ')' or identifier`;
      }
    } else if (["=", "==", "!=", ">", "<"].includes(op.text)) {
      if (tokens[at].kind === "end" || tokens[at].text === ",") values.push("");
      else if (value()) values.push(tokens[at++].text);
      else return `found '${tokens[at].text}', expected: identifier`;
      if ((op.text === ">" || op.text === "<") && !integer64(values[0])) return `${JSON.stringify(values[0])} is not an integer, which the '${op.text}' operator requires`;
    } else return `found '${op.text}', expected: in, notin, =, ==, !=, >, <`;
    const bad = values.find((v) => !isLabelValue(v));
    return bad === undefined ? undefined : `${JSON.stringify(bad)} is not a valid label value`;
  };
  for (;;) {
    if (tokens[at].kind === "end") return undefined;
    const problem = requirement();
    if (problem) return problem;
    const next = tokens[at++];
    if (next.kind === "end") return undefined;
    if (next.text !== ",") return `found '${next.text}', expected: ',' or 'end of string'`;
    if (!value() && tokens[at].text !== "!") return `found '${tokens[at].text}', expected: identifier after ','`;
  }
}

/** strconv.ParseInt(v, 10, 64). */
function integer64(v: string): boolean {
  return /^[+-]?\d+$/.test(v) && BigInt(v) >= -(2n ** 63n) && BigInt(v) < 2n ** 63n;
}
