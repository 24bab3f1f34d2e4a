"""Archives: a patient's casebook as a PDF and each site's archive at study close (ICH E6(R3)
essential records). Above monitoring and exports in the import order: an archive holds the data,
the audit trail, queries, SDV and signatures."""
