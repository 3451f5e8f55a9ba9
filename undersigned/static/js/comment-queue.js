// The moderation queue's keys: j and k move the focus to the next and the previous comment;
// a, r and s approve, reject or mark as spam the comment that has the focus, by pressing its
// own button (its form posts as a click would). "Select all" ticks the page's checkboxes.
// Every control works without this file.
(function () {
  "use strict";
  var list = document.querySelector("[data-comment-keys]");
  if (!list) return;
  var items = Array.prototype.slice.call(list.querySelectorAll("[data-comment]"));
  if (!items.length) return;
  var help = document.querySelector("[data-comment-keys-help]");
  if (help) help.hidden = false;

  var selectAll = document.querySelector("[data-select-all]");
  if (selectAll) {
    var boxes = document.querySelectorAll("input[type=checkbox][form=bulk]");
    selectAll.hidden = false;
    selectAll.addEventListener("click", function () {
      var all = Array.prototype.every.call(boxes, function (box) { return box.checked; });
      Array.prototype.forEach.call(boxes, function (box) { box.checked = !all; });
    });
  }

  // Keys typed into a field are text, not commands.
  function typing(target) {
    if (!target || !target.tagName) return false;
    if (target.isContentEditable) return true;
    var tag = target.tagName;
    if (tag === "TEXTAREA" || tag === "SELECT") return true;
    if (tag !== "INPUT") return false;
    return ["checkbox", "radio", "button", "submit", "reset"].indexOf(target.type) < 0;
  }

  function focused() {
    var active = document.activeElement;
    return active && active.closest ? active.closest("[data-comment]") : null;
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (typing(event.target)) return;
    var key = event.key;
    var item = focused();
    var index = items.indexOf(item);
    if (key === "j" || key === "k") {
      var next = index < 0 ? 0 : index + (key === "j" ? 1 : -1);
      if (next >= 0 && next < items.length) items[next].focus();
      event.preventDefault();
      return;
    }
    if (item && (key === "a" || key === "r" || key === "s")) {
      var button = item.querySelector('button[data-key="' + key + '"]');
      if (button) {
        event.preventDefault();
        button.click();
      }
    }
  });
})();
