/**
 * Names llm-d-router v0.10.0's routerlib templates (and GIE v1.5.0's epplib, alike) give the objects a
 * release renders for its picker. Shared by the readers of the releases' picker, config and proxy.
 */

/** routerlib _helpers.tpl llm-d-router.name: the release name, lower-cased, trimmed, cut to 40, then `-epp`. */
export const chartPickerName = (release: string) => `${release.toLowerCase().trim().slice(0, 40)}-epp`;

