/*
 * The catalogue's messages for the console's later parts (改派, search, clustering and the
 * heat layer, statistics, desktop notifications), merged into MESSAGES of i18n.js: Chinese
 * first, English second. Loaded right after i18n.js.
 */
"use strict";

Object.assign(MESSAGES.zh.ui, {
  "reroute.title": "改派（退回后重新派遣）",
  "reroute.from": "退回单位：{unit}；退回原因：{reason}",
  "reroute.category": "事件类别",
  "reroute.kind": "责任部门",
  "reroute.kind.any": "该类别的全部责任部门",
  "reroute.unit": "承办单位",
  "reroute.none": "该类别没有可改派的单位",
  "reroute.reason": "改派原因",
  "reroute.reason.hint": "例如：实为电线掉落，改由供电所处置",
  "reroute.reason.needed": "请填写改派原因",
  "reroute.unit.needed": "请选择承办单位",
  "reroute.event": "类别 {from} → {to}",
});
Object.assign(MESSAGES.en.ui, {
  "reroute.title": "Reroute (after a return)",
  "reroute.from": "Returned by {unit}; reason: {reason}",
  "reroute.category": "category",
  "reroute.kind": "department",
  "reroute.kind.any": "every department of the category",
  "reroute.unit": "unit",
  "reroute.none": "no unit of this category to reroute to",
  "reroute.reason": "reason",
  "reroute.reason.hint": "e.g. a fallen wire: the power supply station handles it",
  "reroute.reason.needed": "give the reason for the reroute",
  "reroute.unit.needed": "choose a unit",
  "reroute.event": "category {from} → {to}",
});
