"""transformers' Trainer: a model card that fails cardguard is not pushed to the Hub.

Two lines in a training script, once the Trainer is built (docs/hub.md, "In a training script")::

    from cardguard.integrations.transformers import CardGuardCallback
    CardGuardCallback().attach(trainer)

``trainer.push_to_hub()`` (and ``trainer.save_model()`` with ``push_to_hub=True``) then raises
:class:`CardCheckFailed` before anything is uploaded when the card Trainer wrote fails
``cardguard.check``; with ``on_failure="warn"`` it warns (:class:`CardCheckWarning`) and the
push goes on. Only this module imports transformers; ``import cardguard`` never does.

Where the check runs, and why there (transformers 5.24, trainer.py):

- ``Trainer.push_to_hub`` fires ``on_push_begin``, saves the model, writes README.md with
  ``create_model_card``, then uploads the output folder with ``upload_folder``. No callback event
  fires between the card and the upload, and a callback is never handed the trainer. So
  ``attach`` adds the callback to the trainer and wraps ``create_model_card`` of that one
  instance (the Trainer class is left alone): when Trainer has written the card for a push, the
  card and the model just saved beside it are checked, and a failure raises out of
  ``push_to_hub`` before ``upload_folder`` runs.
- Checkpoint pushes (``hub_strategy`` every_save, checkpoint, all_checkpoints) fire
  ``on_push_begin`` inside a checkpoint save, then copy the checkpoint's weights into the output
  folder and upload it in the background. Trainer writes no card for them: they carry whatever
  README.md the output folder holds. ``on_push_begin`` validates that card (metadata, sections,
  placeholders; not drift, as the folder does not hold the checkpoint's weights yet); a failure
  raises out of ``trainer.train()``.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, Literal

from transformers import Trainer, TrainerCallback, TrainerControl, TrainerState, TrainingArguments

import cardguard
from cardguard.report.formats import FIX_OPTION, format_findings
from cardguard.rules.unsynced import SYNC

TYPE_CHECKING = False
if TYPE_CHECKING:
    from cardguard.api import Report

CARD_NAME = "README.md"  # what create_model_card writes, and what the Hub shows
ON_FAILURE = ("raise", "warn")
FAIL_ON = ("error", "warning", "info", "never")


class CardCheckFailed(Exception):
    """The card fails cardguard at the configured fail-on, so the push was stopped before
    uploading. ``report`` holds the findings; the message lists them as the CLI does."""

    def __init__(self, message: str, report: Report) -> None:
        super().__init__(message)
        self.report = report


class CardCheckWarning(UserWarning):
    """``on_failure="warn"``: the card fails cardguard, and the push goes on."""


class CardGuardCallback(TrainerCallback):
    """Checks the model card a Trainer is about to push; use it through :meth:`attach`.

    ``on_failure``: "raise" (default) stops the push with CardCheckFailed, "warn" warns and lets
    it through; ``fail_on``: the lowest severity that fails the card ("error", "warning", "info",
    "never"; None: the configuration's, else "error"); ``profile`` and ``config``: as
    ``cardguard.check``; ``sync``: before a final push's check, rewrite the parts of the card
    cardguard owns (managed metadata such as ``pipeline_tag``, generated regions) from the model,
    as ``cardguard sync`` would; ``fix``: before each check, apply the metadata fixes cardguard is
    certain of, as ``cardguard check --fix`` would (Trainer's ``config: null``, which the Hub
    refuses, and its ``split: None``, when the evaluation dataset was built in memory).
    """

    def __init__(self, *, on_failure: Literal["raise", "warn"] = "raise", fail_on: str | None = None,
                 profile: str | None = None, config: str | os.PathLike[str] | None = None,
                 sync: bool = False, fix: bool = False) -> None:
        if on_failure not in ON_FAILURE:
            raise ValueError(f"on_failure must be one of {', '.join(ON_FAILURE)}, not {on_failure!r}")
        if fail_on is not None and fail_on not in FAIL_ON:
            raise ValueError(f"fail_on must be one of {', '.join(FAIL_ON)}, not {fail_on!r}")
        self.on_failure = on_failure
        self.fail_on = fail_on
        self.profile = profile
        self.config = config
        self.sync = sync
        self.fix = fix
        self.attached = False
        self.push_pending = False  # push_to_hub has begun: the next card Trainer writes is checked

    def attach(self, trainer: Trainer) -> CardGuardCallback:
        """Guard ``trainer``'s pushes: add this callback to it, and wrap this instance's
        ``create_model_card`` so that the card it writes for a push is checked before upload."""
        if self.attached:
            raise ValueError("this CardGuardCallback is already attached to a trainer; make one per trainer")
        if not hasattr(TrainerCallback, "on_push_begin"):  # without it, no push would ever be checked
            raise cardguard.UsageError("CardGuardCallback needs a transformers whose Trainer fires on_push_begin "
                                       "(5.24 does); this one never tells a callback that a push begins")
        if self not in trainer.callback_handler.callbacks:  # also passed in Trainer(callbacks=[...])
            trainer.add_callback(self)
        card_writer = self.checking_after(trainer.create_model_card, Path(trainer.args.output_dir))
        trainer.create_model_card = card_writer  # type: ignore[method-assign]  # this instance only
        self.attached = True
        return self

    def checking_after(self, write_card: Callable[..., None], folder: Path) -> Callable[..., None]:
        """``write_card`` (a trainer's create_model_card), then the check of the card it wrote
        when a push is under way (a card written outside a push is left to its author)."""

        @wraps(write_card)
        def create_model_card(*args: Any, **kwargs: Any) -> None:
            write_card(*args, **kwargs)
            if self.push_pending:
                self.push_pending = False
                self.check_before_push(folder, final=True)

        return create_model_card

    # -- the events --------------------------------------------------------------------

    def on_train_begin(self, args: TrainingArguments, state: TrainerState, control: TrainerControl,
                       **kwargs: Any) -> None:
        self.refuse_unattached()

    def on_push_begin(self, args: TrainingArguments, state: TrainerState, control: TrainerControl,
                      **kwargs: Any) -> None:
        self.refuse_unattached()
        if not state.is_world_process_zero:  # only process zero writes the card and uploads
            return
        # A checkpoint push happens inside the save that control.should_save asked for; the
        # final push (push_to_hub, after or without training) is not inside one.
        if control.should_save and args.hub_strategy != "end":
            self.check_before_push(Path(args.output_dir), final=False)
        else:
            self.push_pending = True

    def refuse_unattached(self) -> None:
        """Passed in ``Trainer(callbacks=[...])`` alone, the callback could not see the final
        push's card: say so before training rather than let that push through unchecked."""
        if not self.attached:
            raise cardguard.UsageError(
                "CardGuardCallback checks a push only when attached: CardGuardCallback().attach(trainer)")

    # -- the check ---------------------------------------------------------------------

    def check_before_push(self, folder: Path, *, final: bool) -> None:
        """Check ``folder``'s card (a final push: with drift against the model saved beside it,
        synced first if asked; a checkpoint push: the card on its own, when there is one), its
        certain fixes applied first if asked, then raise or warn when it fails."""
        card = folder / CARD_NAME
        if final:
            if self.sync:
                cardguard.sync(card, profile=self.profile, config=self.config)
            report = cardguard.check(card, profile=self.profile, config=self.config, fix=self.fix)
        elif card.is_file():
            report = cardguard.validate(card, profile=self.profile, config=self.config, fix=self.fix)
        else:
            return  # the checkpoint push carries no card
        if report.exit_code(self.fail_on):
            self.fail(report)

    def fail(self, report: Report) -> None:
        # what fixes a finding, said with the callback's own switches
        spelled = {FIX_OPTION: "CardGuardCallback(fix=True)", SYNC: "CardGuardCallback(sync=True)"}
        findings = format_findings(report.findings, "text", files_checked=len(report.cards), fix_commands=spelled)
        if self.on_failure == "raise":
            raise CardCheckFailed(f"cardguard stopped the push to the Hub: the model card fails\n{findings}", report)
        warnings.warn(f"cardguard: the model card fails, pushed anyway (on_failure='warn')\n{findings}",
                      CardCheckWarning, stacklevel=2)
