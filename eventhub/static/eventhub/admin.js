// EventHub admin: copy buttons, secret reveal without leaving the page, confirmations.
// Progressive enhancement only: every control also works as a plain form post without JavaScript.
"use strict";
(function () {
  function copyText(text, button) {
    const done = () => { button.classList.add("copied"); setTimeout(() => button.classList.remove("copied"), 1500); };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, () => {});
    } else {
      const area = document.createElement("textarea");
      area.value = text;
      document.body.appendChild(area);
      area.select();
      try { document.execCommand("copy"); done(); } catch (e) { /* copying is a convenience */ }
      area.remove();
    }
  }

  document.addEventListener("click", function (event) {
    const button = event.target.closest("button, input[type=submit]");
    if (!button) return;

    if (button.matches("[data-copy]")) {
      event.preventDefault();
      copyText(button.getAttribute("data-copy"), button);
    } else if (button.matches("[data-copy-target]")) {
      event.preventDefault();
      const target = document.getElementById(button.getAttribute("data-copy-target"));
      if (target) copyText(target.textContent.trim(), button);
    } else if (button.matches("[data-copy-json]")) {
      event.preventDefault();
      const pre = button.parentElement.querySelector("pre");
      if (pre) copyText(pre.textContent, button);
    } else if (button.matches("[data-confirm]")) {
      if (!window.confirm(button.getAttribute("data-confirm"))) event.preventDefault();
    } else if (button.matches("[data-reveal-url]")) {
      const value = document.getElementById("eh-secret-value");
      const copy = document.getElementById("eh-copy-secret");
      const form = button.closest("form");
      const token = form && form.querySelector("input[name=csrfmiddlewaretoken]");
      if (!value || !token || !window.fetch) return; // fall back to the plain post
      event.preventDefault();
      if (button.dataset.revealed === "1") {
        value.textContent = value.getAttribute("data-masked");
        button.textContent = "Reveal";
        button.dataset.revealed = "0";
        if (copy) copy.hidden = true;
        return;
      }
      fetch(button.getAttribute("data-reveal-url"), {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRFToken": token.value, "X-Requested-With": "fetch" },
      })
        .then((response) => (response.ok ? response.json() : Promise.reject(response.status)))
        .then((body) => {
          value.textContent = body.secret;
          button.textContent = "Hide";
          button.dataset.revealed = "1";
          if (copy) copy.hidden = false;
        })
        .catch(() => form.requestSubmit(button));
    }
  });
})();
