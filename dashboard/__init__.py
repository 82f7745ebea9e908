"""The collections dashboard (Streamlit): `streamlit run dashboard/app.py` or `collections serve`.

`app.py` routes to the pages in `app_pages/`, which only draw; `reads/` is the only package that
reads the warehouse (one module per page area over one connection module); `format.py` writes
money, rates and months the same way everywhere.
"""
