"""Label PDFs drawn by the bot itself (ReportLab) and the local carrier's tracking numbers.

`render.render_label_pdf` draws the A6 label and the RMA slip; `tracking` makes and checks S10-style
tracking numbers. Carrier PDFs (Shipit, PostNord) are passed through unchanged and never come here.
"""
