/** Fixtures shared by the authz-*.test.ts policy tests: the objects they build, kept in test/support/authz-objects.ts. */
export { AP, on, sa, ap, gw, allowFrom } from "../support/authz-objects";
