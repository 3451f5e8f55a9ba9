// Small enhancements only: every form works without this file.
(function () {
  "use strict";
  // Show the organisation fields only when "for an organisation" is chosen.
  document.querySelectorAll("[data-kind]").forEach(function (fieldset) {
    var form = fieldset.closest("form");
    var orgFields = form && form.querySelector("[data-org-fields]");
    if (!orgFields) return;
    function update() {
      var checked = fieldset.querySelector("input:checked");
      var isOrg = checked && checked.value === "organisation";
      orgFields.classList.toggle("js-hidden", !isOrg);
    }
    fieldset.addEventListener("change", update);
    update();
  });
  // "You will appear as: María José Q.": the sign form's name as the chosen display shows it,
  // by the server's rule (undersigned/lib/names.py), whose word lists the form carries.
  document.querySelectorAll("[data-name-preview]").forEach(function (preview) {
    var form = preview.closest("form");
    var name = form && form.querySelector("input[name=name]");
    var shown = preview.querySelector("[data-name-shown]");
    if (!name || !shown) return;
    var given = preview.getAttribute("data-given").split(" ");
    var particles = preview.getAttribute("data-particles").split(" ");
    function plain(word) {
      return word.toLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, "");
    }
    function initial(word) {
      var first = word.normalize("NFD").match(/^.[\u0300-\u036f]*/u)[0];
      return first.toUpperCase().normalize("NFC");
    }
    function initialled(text) {
      var words = text.split(/\s+/).filter(Boolean);
      if (words.length < 2) return words.join(" ");
      var names = [words[0]], rest = words.slice(1);
      while (rest.length > 1) {
        var lead = 0;
        while (lead < rest.length - 1 && particles.indexOf(plain(rest[lead])) >= 0) lead++;
        if (lead + 1 < rest.length && given.indexOf(plain(rest[lead])) >= 0) {
          names = names.concat(rest.slice(0, lead + 1));
          rest = rest.slice(lead + 1);
        } else break;
      }
      var surname = rest.filter(function (w) { return particles.indexOf(plain(w)) < 0; })[0] ||
        rest[rest.length - 1];
      return names.join(" ") + " " + initial(surname) + ".";
    }
    function update() {
      var display = form.querySelector("input[name=display]:checked");
      var kind = form.querySelector("input[name=kind]:checked");
      var organisation = form.querySelector("input[name=organisation_name]");
      var value = name.value.trim().split(/\s+/).join(" ");
      var text = "";
      if (display && display.value === "hidden") {
        text = preview.getAttribute("data-hidden");
      } else if (value) {
        text = display && display.value === "initial" ? initialled(value) : value;
      }
      var hidden = display && display.value === "hidden";
      if (text && !hidden && kind && kind.value === "organisation" && organisation &&
          organisation.value.trim()) {
        text = organisation.value.trim() + " (" + text + ")";
      }
      shown.textContent = text;
      preview.hidden = !text;
    }
    form.addEventListener("input", update);
    form.addEventListener("change", update);
    update();
  });
  // Keep the count current while the page is open and in view.
  document.querySelectorAll("[data-count-url]").forEach(function (section) {
    var number = section.querySelector(".number strong");
    var bar = section.querySelector("progress");
    if (!number || !window.fetch) return;
    setInterval(function () {
      if (document.hidden) return;
      fetch(section.getAttribute("data-count-url"), { credentials: "omit" })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          if (!data) return;
          // Grouped as the server writes it (4,812 or 4 812), whatever the browser's locale.
          number.textContent = String(data.count).replace(
            /\B(?=(\d{3})+(?!\d))/g, section.getAttribute("data-thousands") || "");
          if (bar) { bar.value = data.progress; }
        })
        .catch(function () {});
    }, 15000);
  });
  // A new statement's address, proposed from its title as it is typed: the server makes the
  // same one (made unique) when the field is left empty.
  document.querySelectorAll("input[data-slug-from]").forEach(function (slug) {
    var title = document.getElementById(slug.getAttribute("data-slug-from"));
    if (!title) return;
    title.addEventListener("input", function () {
      slug.placeholder = title.value.normalize("NFKD").replace(/[\u0300-\u036f]/g, "")
        .toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 60);
    });
  });
  // The Markdown editor: a live preview beside the text, rendered by the server exactly as the
  // public page renders it, and the list of what publishing would remove. Without this script
  // the form's Preview button shows both.
  document.querySelectorAll("form[data-preview-url] textarea[data-markdown]").forEach(function (area) {
    var form = area.form;
    var token = form && form.querySelector("input[name=csrfmiddlewaretoken]");
    if (!token || !window.fetch || !window.FormData) return;
    var wrap = document.createElement("div");
    wrap.className = "md-editor";
    area.parentNode.insertBefore(wrap, area);
    wrap.appendChild(area);
    var pane = document.createElement("div");
    pane.className = "live-preview";
    pane.setAttribute("aria-live", "off");
    var label = document.createElement("p");
    label.className = "small";
    label.textContent = form.getAttribute("data-preview-label") || "Preview";
    var shown = document.createElement("div");
    shown.className = "body";
    pane.appendChild(label);
    pane.appendChild(shown);
    wrap.appendChild(pane);
    var note = document.getElementById("dropped-" + area.name);
    var timer = null;
    var sent = null;
    function refresh() {
      if (area.value === sent) return;
      sent = area.value;
      var data = new FormData();
      data.append("csrfmiddlewaretoken", token.value);
      data.append("text", area.value);
      fetch(form.getAttribute("data-preview-url"), { method: "POST", body: data, credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (answer) {
          if (!answer || sent !== area.value) return;
          shown.innerHTML = answer.html;  // the server's sanitised HTML, as the public page has it
          if (note) note.innerHTML = answer.dropped;
        })
        .catch(function () {});
    }
    area.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(refresh, 300);
    });
    // Plain text pasted with one paragraph a line (from a word processor or a chat) keeps its
    // paragraphs; short lines (an address, a poem) stay lines, and Markdown stays as it is.
    area.addEventListener("paste", function (event) {
      var text = event.clipboardData && event.clipboardData.getData("text/plain");
      if (!text) return;
      text = text.replace(/\r\n?/g, "\n");
      var lines = text.split("\n").filter(function (line) { return line.trim(); });
      if (lines.length < 2 || /\n\s*\n/.test(text) || /^\s*([-*+>#]|\d+[.)])\s/m.test(text)) return;
      var average = lines.join("").length / lines.length;
      if (average < 60) return;
      event.preventDefault();
      area.setRangeText(lines.join("\n\n"), area.selectionStart, area.selectionEnd, "end");
      area.dispatchEvent(new Event("input", { bubbles: true }));
    });
    refresh();
  });
  // A "copy" button beside the share link.
  document.querySelectorAll("input[data-copy]").forEach(function (input) {
    if (!navigator.clipboard) return;
    var button = document.createElement("button");
    button.type = "button";
    button.textContent = input.getAttribute("data-copy");
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(input.value).then(function () {
        button.textContent = "✓";
      });
    });
    input.insertAdjacentElement("afterend", button);
  });
  // A share link's source (?src=union-newsletter) goes with the sign form, and with the link
  // a reader copies or shares from here, so that what they pass on counts for that source too.
  // The page is cached for everyone, so the server cannot write it in; without this script it
  // is not counted.
  var source = new URLSearchParams(window.location.search).get("src");
  if (source && /^[-a-z0-9_]{1,40}$/.test(source)) {
    document.querySelectorAll("input[data-source]").forEach(function (input) {
      if (!input.value) input.value = source;
    });
    document.querySelectorAll("input[data-share-link]").forEach(function (input) {
      input.value = input.value + "?src=" + source;
    });
  } else {
    source = null;
  }
  // An event's time in the reader's own zone, where it is not the event's: the page says it
  // in the event's zone, the same for everyone (it is cached).
  document.querySelectorAll("[data-local-time]").forEach(function (span) {
    var zone;
    try {
      zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    } catch (e) {
      return;
    }
    var start = new Date(span.getAttribute("data-start"));
    var end = new Date(span.getAttribute("data-end"));
    if (!zone || isNaN(start) || isNaN(end)) return;
    var options = { hour: "2-digit", minute: "2-digit", timeZoneName: "short" };
    var day = { weekday: "long", day: "numeric", month: "long" };
    var lang = document.documentElement.lang || undefined;
    var here = new Intl.DateTimeFormat(lang, options).format(start);
    var there = new Intl.DateTimeFormat(lang, Object.assign({ timeZone: span.getAttribute("data-zone") }, options)).format(start);
    if (here === there) return;
    span.textContent = span.getAttribute("data-label") + " " +
      new Intl.DateTimeFormat(lang, day).format(start) + ", " +
      new Intl.DateTimeFormat(lang, { hour: "2-digit", minute: "2-digit" }).format(start) + "–" +
      new Intl.DateTimeFormat(lang, options).format(end);
    span.hidden = false;
  });
  // The browser's own share sheet (a phone's apps), where it has one: it sends nothing
  // anywhere until the reader picks an app.
  if (navigator.share) {
    document.querySelectorAll("ul[data-share-url]").forEach(function (list) {
      var url = list.getAttribute("data-share-url") + (source ? "?src=" + source : "");
      var item = document.createElement("li");
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = list.getAttribute("data-share-label");
      button.addEventListener("click", function () {
        navigator.share({ title: list.getAttribute("data-share-title"), url: url })
          .catch(function () {});
      });
      item.appendChild(button);
      list.insertBefore(item, list.firstChild);
    });
  }
})();
