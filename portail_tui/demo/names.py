"""Word lists for the demo town.

The point of the demo is to look like a real French town hall's files, accents
included, so that the accent-insensitive search, the PDFs and the terminal
rendering are exercised by ordinary data ("lea" must find "Léa", "lefevre" must
find "Lefèvre"). Every name here is common; the combinations are fictional.
E-mail domains are reserved ones (RFC 2606 / RFC 6761) so that a demo outbox can
never write to a real person.
"""

from __future__ import annotations

GIRLS: tuple[str, ...] = (
    "Léa", "Chloé", "Zoé", "Anaïs", "Maëlys", "Éloïse", "Inès", "Jade", "Louise", "Emma",
    "Manon", "Camille", "Clémence", "Océane", "Maëlle", "Héloïse", "Noémie", "Agathe", "Alice",
    "Juliette", "Lucie", "Romane", "Margaux", "Ambre", "Léonie", "Rose", "Mila", "Lina",
    "Anna", "Julia", "Clara", "Capucine", "Joséphine", "Bérénice", "Célia", "Élise", "Mélissa",
    "Nina", "Sarah", "Yasmine", "Aïcha", "Lou", "Apolline", "Salomé", "Victoire", "Gabrielle",
    "Thaïs", "Énora", "Nolwenn", "Maïwenn", "Zélie", "Iris", "Lison", "Adèle", "Lyna",
)

BOYS: tuple[str, ...] = (
    "Noé", "Gaël", "Loïc", "Benoît", "Théo", "Lucas", "Hugo", "Louis", "Jules", "Raphaël",
    "Gabriel", "Arthur", "Nathan", "Maël", "Timothée", "Léo", "Tom", "Paul", "Sacha", "Enzo",
    "Mathéo", "Évan", "Clément", "Baptiste", "Antoine", "Mathis", "Aurélien", "Côme", "Gaspard",
    "Joël", "Noah", "Adam", "Ethan", "Valentin", "Éliott", "Axel", "Maxence", "Rémi", "Jérémy",
    "Titouan", "Anaël", "Kylian", "Yanis", "Mehdi", "Samuel", "Victor", "Martin", "Célestin",
    "Émile", "Léandre", "Ilyès", "Naël", "Noam", "Marius",
)

WOMEN: tuple[str, ...] = (
    "Hélène", "Bérénice", "Anaïs", "Éloïse", "Céline", "Sophie", "Nathalie", "Isabelle",
    "Aurélie", "Émilie", "Stéphanie", "Élodie", "Séverine", "Valérie", "Sandrine", "Mélanie",
    "Karine", "Virginie", "Delphine", "Audrey", "Laëtitia", "Gaëlle", "Maryse", "Amélie",
    "Géraldine", "Sabrina", "Marie", "Claire", "Julie", "Caroline", "Émeline", "Cécile",
    "Fatima", "Nadia", "Lucie", "Mathilde", "Pauline", "Anne-Sophie", "Marie-Hélène", "Soizic",
    "Noémie", "Angélique", "Ophélie", "Coralie", "Linh", "Ana", "Sónia",
)

MEN: tuple[str, ...] = (
    "François", "Jérôme", "Benoît", "Loïc", "Gaël", "Frédéric", "Sébastien", "Stéphane",
    "Nicolas", "Julien", "Jérémie", "Cédric", "Grégory", "Mickaël", "Rémi", "Hervé", "Thierry",
    "Olivier", "Pierre", "Guillaume", "Aurélien", "Mathieu", "Damien", "Yannick", "Ludovic",
    "Arnaud", "Xavier", "Raphaël", "Jean-François", "Jean-Noël", "Pierre-Yves", "Hugues",
    "Karim", "Mehdi", "Thomas", "Anthony", "Joël", "Gérald", "Noël", "Éric", "Bruno", "Minh",
    "João", "Kévin", "Florian", "Maxime",
)

LAST_NAMES: tuple[str, ...] = (
    "Martin", "Bernard", "Lefèvre", "Gérard", "Müller", "Nguyen", "Da Silva", "Bénard",
    "Leroy", "Fournier", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Moreau",
    "Laurent", "Simon", "Michel", "Lefebvre", "Garcia", "David", "Bertrand", "Roux", "Vincent",
    "Morel", "Girard", "André", "Mercier", "Dupont", "Lambert", "Bonnet", "François", "Martinez",
    "Legrand", "Garnier", "Faure", "Rousseau", "Blanc", "Guérin", "Boyer", "Chevalier",
    "Rodrigues", "Gauthier", "Perrin", "Morin", "Clément", "Mathieu", "Nicolas", "Roussel",
    "Fontaine", "Lemaître", "Brunet", "Dumas", "Lacroix", "Bouchet", "Gaillard", "Vidal",
    "Bourdeau", "Chabrol", "Peyronnet", "Desbordes", "Lavergne", "Ribière", "Mazeaud",
    "Chastaing", "Texier", "Dupuy", "Veyrier", "Aubusson", "Coudert", "Faucher", "Boudaud",
    "Lagarde", "Périgord", "Fayemendy", "Tardieu", "Lévêque", "Pénicaud", "Crémieux",
    "Ménard", "Hébert", "Lefèbvre-Dumont", "Saint-Léger", "N'Diaye", "Traoré", "Benali",
    "Haddad", "Pereira", "Ferreira", "Santos", "Le Goff", "Le Gall", "Kerboriou", "Tran",
    "Pham", "Schmitt", "Schneider", "Weiss", "Côté", "Bélanger", "D'Almeida",
    "Dos Santos", "Thévenin", "Chénier", "Brûlé", "Jourdain", "Maréchal", "Besnard",
)

# (postal code, town): most families live in the main town, a few in neighbouring
# communes (régies also serve families from outside).
MAIN_TOWN: tuple[str, str] = ("87590", "Saint-Just-le-Martel")
NEIGHBOUR_TOWNS: tuple[tuple[str, str], ...] = (
    ("87220", "Feytiat"),
    ("87350", "Panazol"),
    ("87400", "Royères"),
    ("87480", "Saint-Priest-Taurion"),
    ("87220", "Eyjeaux"),
    ("87400", "Saint-Léonard-de-Noblat"),
)

STREETS: tuple[str, ...] = (
    "rue Jean-Jaurès", "allée des Érables", "place de l'Église", "chemin du Moulin",
    "impasse des Châtaigniers", "route de Limoges", "avenue du Général-de-Gaulle",
    "rue Émile-Zola", "rue des Écoles", "rue Victor-Hugo", "lotissement les Genêts",
    "rue de la Forêt", "chemin de la Fontaine", "rue du Château-d'Eau", "allée des Tilleuls",
    "rue Pierre-et-Marie-Curie", "rue de la Mairie", "chemin des Vignes", "rue du Stade",
    "impasse des Bruyères", "rue Aristide-Briand", "rue Jules-Ferry", "rue des Peupliers",
    "route de Saint-Léonard", "chemin de la Côte", "rue des Fougères", "rue de l'Étang",
    "allée des Noisetiers", "rue Gustave-Flaubert", "place du Marché", "rue de la Libération",
    "rue des Acacias", "chemin du Pré-Vert", "rue Frédéric-Mistral", "rue Hélène-Boucher",
)

LOCALITIES: tuple[str, ...] = (
    "Le Bourg", "La Valette", "Les Quatre-Vents", "Le Puy-Gaillard", "Lavaud", "Le Mas-Éloi",
    "La Côte-Rousse", "Les Bénéchies",
)

COMPLEMENTS: tuple[str, ...] = (
    "Bâtiment A", "Bâtiment B, appartement 12", "Résidence les Hêtres", "Appartement 3",
    "Escalier C", "Résidence du Parc, appt 21",
)

BANKS: tuple[str, ...] = (
    "Crédit Agricole Centre-Ouest", "Caisse d'Épargne Aquitaine Poitou-Charentes",
    "Banque Populaire Aquitaine Centre Atlantique", "La Banque Postale", "Société Générale",
    "BNP Paribas", "LCL", "Crédit Mutuel", "CIC Ouest", "Banque Tarneaud", "Crédit Coopératif",
)

INSURERS: tuple[str, ...] = (
    "MAIF", "MACIF", "MAAF", "Groupama Centre-Atlantique", "AXA", "GMF", "Matmut", "MMA",
    "Allianz", "Crédit Agricole Assurances", "Pacifica", "MAE",
)

EMAIL_DOMAINS: tuple[str, ...] = (
    "example.com", "example.net", "example.org", "courriel.test", "messagerie.test",
)

DOCTORS: tuple[str, ...] = (
    "Dr Amélie Chassagne", "Dr Hervé Desproges", "Dr Sophie Bénézit", "Dr Julien Lafaurie",
    "Dr Noëlle Mérigot", "Dr Karim Benhaddou",
)

ALLERGIES: tuple[str, ...] = (
    "arachide", "fruits à coque", "lait de vache", "œuf", "gluten", "kiwi", "pollens",
    "poisson", "moutarde",
)

DIETS: tuple[str, ...] = ("aucun", "aucun", "aucun", "sans porc", "végétarien", "sans viande")

CONTACT_LINKS: tuple[str, ...] = (
    "Grand-mère", "Grand-père", "Tante", "Oncle", "Voisine", "Assistante maternelle",
    "Parrain", "Marraine", "Ami de la famille",
)

REJECT_REASONS: dict[str, tuple[str, ...]] = {
    "assurance": (
        "L'attestation d'assurance fournie est celle de l'année scolaire précédente.",
        "La responsabilité civile n'apparaît pas sur l'attestation.",
    ),
    "contact": ("Le numéro de téléphone du contact d'urgence est incomplet.",),
    "reglement": ("Le règlement intérieur n'est pas signé par un responsable légal.",),
    "autorisations": ("Merci de préciser les personnes autorisées à venir chercher l'enfant.",),
    "sante": (
        "Le certificat médical du PAI est manquant.",
        "Les dates des vaccinations obligatoires ne sont pas renseignées.",
    ),
}

MATERNELLE = "École maternelle Les Coquelicots"
ELEMENTAIRE = "École élémentaire Jean-Moulin"
CLASSES: tuple[str, ...] = ("PS", "MS", "GS", "CP", "CE1", "CE2", "CM1", "CM2")

# The schools a big demo town adds to the file's two (demo/schools.py): one group per few
# hundred families, a maternelle and an élémentaire each, named as French schools
# commonly are (flowers and trees for the little ones, a person for the élémentaire).
MATERNELLE_NAMES: tuple[str, ...] = (
    "Les Tilleuls", "Les Lilas", "Les Mimosas", "Les Marronniers", "Les Érables",
    "Les Châtaigniers", "Les Bleuets", "Les Jonquilles", "Les Primevères", "Les Hirondelles",
    "Les Mésanges", "Les Papillons", "Les Capucines", "Les Glycines", "Les Pâquerettes",
    "Les Myosotis", "Les Violettes", "Les Genêts", "Les Bruyères", "Les Acacias",
    "Les Peupliers", "Les Noisetiers", "Les Cerisiers", "Les Pommiers", "Les Platanes",
    "Les Saules", "Les Charmilles", "Les Bouleaux", "Les Trois-Chênes", "Les Hêtres",
    "Les Tournesols", "Les Coccinelles", "Les Lucioles", "Les Écureuils", "Les Lutins",
    "Le Petit-Prince", "Les Prés", "La Source", "Le Moulin", "La Fontaine",
    "Les Vergers", "Les Roseaux", "Les Iris", "Les Églantines", "Les Magnolias",
    "Les Camélias", "Les Dahlias", "Les Fougères", "Les Hortensias", "L'Arc-en-Ciel",
    "Les Marguerites", "Les Colombes", "Les Aubépines", "Les Ormeaux", "Les Sorbiers",
    "Les Lavandes", "Les Renoncules", "Les Pervenches", "Les Alouettes", "Les Cigales",
)
ELEMENTAIRE_NAMES: tuple[str, ...] = (
    "Jules-Ferry", "Victor-Hugo", "Jean-Jaurès", "Louis-Pasteur", "Marie-Curie", "Paul-Bert",
    "Jacques-Prévert", "Jean-de-La-Fontaine", "Anatole-France", "Condorcet", "Émile-Zola",
    "Albert-Camus", "Saint-Exupéry", "Jules-Verne", "George-Sand", "Simone-Veil",
    "Lucie-Aubrac", "Aristide-Briand", "Frédéric-Mistral", "Alphonse-Daudet",
    "Charles-Perrault", "Marcel-Pagnol", "Joliot-Curie", "Paul-Langevin", "Jean-Zay",
    "Louise-Michel", "Olympe-de-Gouges", "Pierre-Brossolette", "Jean-Macé",
    "Ferdinand-Buisson", "Victor-Schœlcher", "Gustave-Eiffel", "Romain-Rolland", "Paul-Éluard",
    "Louis-Aragon", "Robert-Desnos", "Arthur-Rimbaud", "Jacques-Cartier", "Rosa-Parks",
    "Nelson-Mandela", "Camille-Claudel", "Henri-Wallon", "Léon-Blum", "Pablo-Picasso",
    "Claude-Monet", "Auguste-Renoir", "Jean-Monnet", "Germaine-Tillion", "Joséphine-Baker",
    "Jean-Rostand", "Suzanne-Valadon", "Françoise-Dolto", "Jean-Mermoz", "Paul-Cézanne",
    "Jean-Giono", "Colette", "René-Char", "Edmond-Rostand", "Jules-Michelet", "Pierre-Loti",
)

SITUATIONS_COUPLE: tuple[str, ...] = ("Mariés", "Pacsés", "Vie maritale")
SITUATIONS_SINGLE: tuple[str, ...] = ("Célibataire", "Séparés", "Divorcés", "Veuf ou veuve")

MENU_DISHES: tuple[str, ...] = (
    "Carottes râpées, hachis Parmentier, fromage blanc",
    "Potage de légumes, poulet rôti et haricots verts, compote",
    "Salade de lentilles, filet de colin meunière, purée, clémentine",
    "Betteraves vinaigrette, sauté de veau aux champignons, coquillettes, crème brûlée",
    "Velouté de potiron, omelette, gratin de chou-fleur, pomme",
    "Pâté de campagne, bœuf bourguignon, pommes vapeur, yaourt",
    "Céleri rémoulade, clafoutis limousin aux cerises, lasagnes végétariennes",
)
