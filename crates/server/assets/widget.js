/* cxloop website widget: a small NPS / CSAT prompt with a follow-up
 * comment. Paste into a page:
 *   <script src="https://CXLOOP/widget.js" data-survey="SURVEY_ID" async></script>
 * Optional: data-customer="EXTERNAL_ID" data-signature="SIGNATURE" (from
 * POST /api/v1/surveys/{id}/links on your server) to say who the visitor is.
 * It asks one visitor at most once per the survey's display frequency (a
 * signed visitor who answered on another device is not asked again either)
 * and works only on origins the survey's widget allows. */
(function () {
  "use strict";
  var me = document.currentScript;
  if (!me || !window.fetch) return;
  var survey = me.getAttribute("data-survey");
  if (!survey) return;
  var base = new URL(me.src, location.href).origin;
  var customer = me.getAttribute("data-customer");
  var signature = me.getAttribute("data-signature");
  var memo = "cxloop-widget:" + survey;

  function askedWithin(days) {
    try {
      var t = Number(localStorage.getItem(memo));
      return t > 0 && Date.now() - t < days * 86400000;
    } catch (e) {
      return false;
    }
  }
  function remember() {
    try {
      localStorage.setItem(memo, String(Date.now()));
    } catch (e) { /* private mode: ask again next time */ }
  }
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text != null) e.textContent = text;
    return e;
  }

  var css =
    ":host{all:initial}" +
    ".box{position:fixed;right:16px;bottom:16px;max-width:380px;width:calc(100% - 32px);background:#fff;color:#1b1f24;" +
    "font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;border:1px solid #d9dde3;border-radius:12px;" +
    "box-shadow:0 8px 28px rgba(0,0,0,.18);padding:14px 16px;z-index:2147483000}" +
    "p{margin:0 24px 10px 0;font-weight:600}.x{position:absolute;top:6px;right:8px;background:none;border:0;font-size:20px;cursor:pointer;color:#5a6270}" +
    ".scale{display:flex;gap:3px}.scale button{flex:1 1 0;min-width:0;padding:7px 0;border:1px solid #6b7480;border-radius:7px;background:#fff;cursor:pointer;font:inherit}" +
    ".scale button:hover,.scale button:focus-visible{background:#0b5cad;color:#fff;outline:none}" +
    ".ends{display:flex;justify-content:space-between;color:#5a6270;font-size:12px;margin-top:4px}" +
    "textarea{width:100%;box-sizing:border-box;min-height:70px;font:inherit;padding:8px;border:1px solid #6b7480;border-radius:7px;margin-bottom:8px}" +
    ".send{background:#0b5cad;color:#fff;border:0;border-radius:7px;padding:8px 16px;font:inherit;font-weight:700;cursor:pointer}" +
    ".err{color:#b3261e;font-weight:400}";

  function show(cfg) {
    if (askedWithin(cfg.every_days)) return;
    remember();
    var host = el("div", { id: "cxloop-widget" });
    var root = host.attachShadow({ mode: "open" });
    root.appendChild(el("style", {}, css));
    var box = el("div", { class: "box", role: "dialog", "aria-label": cfg.title });
    var close = el("button", { class: "x", "aria-label": "Close" }, "\u00d7");
    close.addEventListener("click", function () { host.remove(); });
    box.appendChild(close);
    var q = cfg.question;
    box.appendChild(el("p", { id: "q" }, q.text));
    var scale = el("div", { class: "scale", role: "group", "aria-labelledby": "q" });
    for (var v = q.min; v <= q.max; v++) {
      var b = el("button", { type: "button", "data-score": String(v) }, String(v));
      b.addEventListener("click", pick);
      scale.appendChild(b);
    }
    box.appendChild(scale);
    var ends = el("div", { class: "ends", "aria-hidden": "true" });
    ends.appendChild(el("span", {}, q.min_label));
    ends.appendChild(el("span", {}, q.max_label));
    box.appendChild(ends);
    root.appendChild(box);
    document.body.appendChild(host);

    var score = null;
    function pick(ev) {
      score = Number(ev.currentTarget.getAttribute("data-score"));
      if (!cfg.follow_up) return send(null);
      box.replaceChildren(close);
      box.appendChild(el("p", {}, cfg.follow_up.text));
      var t = el("textarea", { "aria-label": cfg.follow_up.text, maxlength: "2000" });
      box.appendChild(t);
      var s = el("button", { class: "send", type: "button" }, "Send");
      s.addEventListener("click", function () { send(t.value); });
      box.appendChild(s);
      t.focus();
    }
    function send(comment) {
      var answers = {};
      answers[q.key] = score;
      if (cfg.follow_up && comment && comment.trim()) answers[cfg.follow_up.key] = comment.trim();
      var body = { answers: answers, channel: "widget" };
      if (customer && signature) body.customer = { external_id: customer, signature: signature };
      fetch(base + "/api/v1/widget/" + encodeURIComponent(survey) + "/responses", {
        method: "POST",
        credentials: "omit",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body)
      }).then(function (r) {
        return r.json().then(function (j) { return { ok: r.ok, j: j }; });
      }).then(function (res) {
        box.replaceChildren(close);
        if (res.ok) {
          box.appendChild(el("p", { role: "status" }, cfg.thank_you));
          setTimeout(function () { host.remove(); }, 4000);
        } else {
          box.appendChild(el("p", { class: "err", role: "alert" }, (res.j.error && res.j.error.message) || "Sorry, that did not work."));
        }
      }).catch(function () {
        box.replaceChildren(close);
        box.appendChild(el("p", { class: "err", role: "alert" }, "Sorry, we could not send your answer."));
      });
    }
  }

  var who = customer && signature
    ? "?customer=" + encodeURIComponent(customer) + "&signature=" + encodeURIComponent(signature)
    : "";
  fetch(base + "/api/v1/widget/" + encodeURIComponent(survey) + who, { credentials: "omit" })
    .then(function (r) { return r.ok ? r.json() : null; })
    .then(function (cfg) { if (cfg && cfg.show) show(cfg); })
    .catch(function () { /* not allowed here, or offline: show nothing */ });
})();
