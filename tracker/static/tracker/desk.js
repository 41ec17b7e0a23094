// The editors' desk by keyboard: j/k (or the arrow keys) move between proposals, a accepts,
// r rejects, e opens the edit form. It only moves focus and submits the page's own forms,
// so every decision works the same by mouse and without JavaScript. Served as a file: the
// Content-Security-Policy allows no inline script.
(function () {
  "use strict";
  var proposals = Array.prototype.slice.call(document.querySelectorAll(".proposal[data-proposal]"));
  if (!proposals.length) {
    return;
  }
  var current = null;

  function marksOf(proposal) {
    var id = proposal.getAttribute("data-proposal");
    return Array.prototype.filter.call(document.querySelectorAll("mark.quote"), function (mark) {
      return (mark.getAttribute("data-proposals") || "").split(" ").indexOf(id) !== -1;
    });
  }

  function choose(proposal, moveFocus) {
    if (current === proposal && !moveFocus) {
      return;
    }
    if (current) {
      current.classList.remove("current");
      marksOf(current).forEach(function (mark) { mark.classList.remove("current"); });
    }
    current = proposal;
    proposal.classList.add("current");
    if (moveFocus) {
      proposal.focus();
    }
    var marks = marksOf(proposal);
    marks.forEach(function (mark) { mark.classList.add("current"); });
    if (marks.length) {
      // Scroll the text box, not the page: the proposal keeps its place on screen.
      var box = marks[0].closest(".article-text");
      if (box) {
        box.scrollTop = marks[0].offsetTop - box.offsetTop - box.clientHeight / 3;
      }
    }
  }

  function step(by) {
    var open = proposals.filter(function (p) { return p.getAttribute("data-state") === "open"; });
    var list = open.length ? open : proposals;
    var at = current ? list.indexOf(current) : -1;
    if (at === -1) {
      at = by > 0 ? -1 : list.length;
      // From a proposal that is not in the list (decided), continue from its place.
      if (current) {
        var place = proposals.indexOf(current);
        at = by > 0 ? list.filter(function (p) { return proposals.indexOf(p) < place; }).length - 1
                    : list.filter(function (p) { return proposals.indexOf(p) <= place; }).length;
      }
    }
    var next = list[Math.min(Math.max(at + by, 0), list.length - 1)];
    if (next) {
      choose(next, true);
    }
  }

  function submit(form) {
    if (form.requestSubmit) {
      form.requestSubmit();
    } else {
      form.submit();
    }
  }

  function typing(target) {
    return target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) {
      return;
    }
    var key = event.key;
    // The arrow keys scroll the page as usual until focus is on a proposal.
    var onProposal = current && current.contains(document.activeElement);
    if (key === "j" || (key === "ArrowDown" && onProposal)) {
      step(1);
    } else if (key === "k" || (key === "ArrowUp" && onProposal)) {
      step(-1);
    } else if (current && (key === "a" || key === "r")) {
      var form = current.querySelector(key === "a" ? "form.accept-form" : "form.reject-form");
      if (!form) {
        return;
      }
      submit(form);
    } else if (current && key === "e") {
      var details = current.querySelector("details.proposal-edit");
      if (!details) {
        return;
      }
      details.open = true;
      var field = details.querySelector("select, input:not([type=hidden]), textarea");
      if (field) {
        field.focus();
      }
    } else {
      return;
    }
    event.preventDefault();
  });

  // A click or Tab into a proposal makes it the current one, without moving focus.
  proposals.forEach(function (proposal) {
    proposal.addEventListener("focusin", function () {
      choose(proposal, false);
    });
  });

  // Back from a decision the page names the next open proposal (#proposal-12): start there.
  var named = window.location.hash && document.getElementById(window.location.hash.slice(1));
  if (named && proposals.indexOf(named) !== -1) {
    choose(named, true);
  }
})();
