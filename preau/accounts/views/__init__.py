"""The pages of accounts: signing in and out, passwords (`session`), activation with
a letter's code (`activation`), the letters themselves (`letters`, staff), the
person's own account pages (`profile`) and personal API tokens (`tokens`)."""
