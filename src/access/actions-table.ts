import { ACTION_NAMES, ACTIONS } from "./actions";

const RESOURCE_WORDS = {
  group: "each feature group it names",
  list: "`*` to call; results filtered per group",
  none: "`*`",
} as const;

/**
 * The actions table of docs/security.md, generated from the one in
 * actions.ts; test/sdk/docs.test.ts fails when the doc differs.
 */
export function actionsTableMarkdown(): string {
  const rows = ACTION_NAMES.map((name) => {
    const spec = ACTIONS[name] as { resource: keyof typeof RESOURCE_WORDS; audited: boolean; sagemaker?: string; native?: string };
    const cell = (v: string | undefined) => (v ? `\`${v}\`` : "");
    return `| \`${name}\` | ${cell(spec.sagemaker)} | ${cell(spec.native)} | ${RESOURCE_WORDS[spec.resource]} | ${spec.audited ? "yes" : ""} |`;
  });
  return ["| Action | SageMaker operation | Native route | Resource checked | Audited |", "|---|---|---|---|---|", ...rows].join("\n");
}
